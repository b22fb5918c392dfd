/**
 * Static checks of the deployment manifests: every YAML parses, kustomizations point at
 * files that exist, CRD schemas are structural, RBAC stays least-privilege, and the objects
 * agree with each other (ports, service accounts, scheduler config, webhook, alert rules,
 * metric names in docs/metrics.md). Server-side dry-run against a real API server is in e2e/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { managedResources } from '../scheduler-extender/src/resources.js';
import { buildProgram } from '../cli/main.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');

type Obj = Record<string, any>;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out.sort();
}

const allFiles = walk(HERE);
const yamlFiles = allFiles.filter((f) => /\.ya?ml$/.test(f));

function docsOf(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  return docs.map((d) => d.toJS() as Obj).filter((d) => d !== null && d !== undefined);
}

interface Kustomization {
  dir: string;
  resources: string[];
  generatedFiles: string[];
}

function kustomizations(): Kustomization[] {
  return yamlFiles
    .filter((f) => /(^|\/)kustomization\.ya?ml$/.test(f))
    .map((f) => {
      const k = parse(readFileSync(f, 'utf8')) as Obj;
      const generatedFiles: string[] = [];
      for (const g of [...(k.configMapGenerator ?? []), ...(k.secretGenerator ?? [])]) {
        for (const entry of g.files ?? []) generatedFiles.push(String(entry).split('=').pop()!);
      }
      return { dir: dirname(f), resources: (k.resources ?? []).map(String), generatedFiles };
    });
}

/** Objects that `kubectl apply -k <dir>` would create, following resources recursively. */
function build(dir: string, seen = new Set<string>()): Obj[] {
  const k = kustomizations().find((x) => x.dir === dir);
  if (!k) throw new Error(`no kustomization in ${relative(ROOT, dir)}`);
  const out: Obj[] = [];
  for (const r of k.resources) {
    const p = resolve(dir, r);
    if (seen.has(p)) continue;
    seen.add(p);
    if (statSync(p).isDirectory()) out.push(...build(p, seen));
    else out.push(...docsOf(p));
  }
  return out;
}

const base = build(HERE);
const byKind = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const named = (objs: Obj[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`${kind} ${name} not found`);
  return o;
};

describe('every manifest file', () => {
  it('parses as YAML without errors (and the dashboard as JSON)', () => {
    expect(yamlFiles.length).toBeGreaterThan(15);
    for (const f of yamlFiles) {
      const docs = parseAllDocuments(readFileSync(f, 'utf8'));
      for (const d of docs) {
        expect(d.errors.map((e) => `${relative(ROOT, f)}: ${e.message}`)).toEqual([]);
      }
    }
    const dash = JSON.parse(readFileSync(join(HERE, 'monitoring/grafana/tessera-dashboard.json'), 'utf8'));
    expect(dash.panels.length).toBeGreaterThan(5);
  });

  it('gives every Kubernetes object an apiVersion, kind and name', () => {
    const k8sDirs = ['base', 'examples', 'cert-manager', 'hardening', 'kind'];
    for (const f of yamlFiles) {
      const rel = relative(HERE, f);
      if (!k8sDirs.some((d) => rel.startsWith(`${d}/`))) continue;
      if (rel.endsWith('kustomization.yaml') || rel === 'kind/kind-config.yaml') continue;
      for (const o of docsOf(f)) {
        expect(typeof o.apiVersion, `${rel}`).toBe('string');
        expect(typeof o.kind, `${rel}`).toBe('string');
        expect(typeof o.metadata?.name, `${rel} ${o.kind}`).toBe('string');
      }
    }
  });
});

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

describe('labels', () => {
  it('are valid Kubernetes label keys and values everywhere (objects and pod templates)', () => {
    const bad: string[] = [];
    const check = (where: string, labels: Obj | undefined) => {
      for (const [k, v] of Object.entries(labels ?? {})) {
        if (!LABEL_KEY.test(k) || k.split('/').pop()!.length > 63) bad.push(`${where}: key ${k}`);
        if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) bad.push(`${where}: ${k}=${String(v)}`);
      }
    };
    for (const f of yamlFiles) {
      for (const o of docsOf(f)) {
        if (typeof o.kind !== 'string') continue;
        const where = `${relative(HERE, f)} ${o.kind}/${o.metadata?.name}`;
        check(where, o.metadata?.labels);
        check(`${where} template`, o.spec?.template?.metadata?.labels);
      }
    }
    expect(bad).toEqual([]);
    expect(LABEL_VALUE.test('NVIDIA H100 80GB HBM3')).toBe(false);
  });
});

describe('kustomizations', () => {
  it('list only files and kustomization folders that exist', () => {
    const ks = kustomizations();
    expect(ks.length).toBeGreaterThanOrEqual(4);
    for (const k of ks) {
      for (const r of k.resources) {
        const p = resolve(k.dir, r);
        expect(existsSync(p), `${relative(ROOT, k.dir)}: resource ${r}`).toBe(true);
        if (statSync(p).isDirectory()) {
          expect(existsSync(join(p, 'kustomization.yaml')), `${r} has a kustomization.yaml`).toBe(true);
        }
      }
      for (const g of k.generatedFiles) {
        expect(existsSync(resolve(k.dir, g)), `${relative(ROOT, k.dir)}: generator file ${g}`).toBe(true);
      }
    }
  });

  it('include every object file of the install folders (nothing forgotten)', () => {
    const listed = new Set(kustomizations().flatMap((k) => k.resources.map((r) => resolve(k.dir, r))));
    const installDirs = ['base', 'examples', 'monitoring', 'cert-manager', 'hardening'];
    const notApplied = new Set(['examples/workloads.yaml']);
    for (const f of yamlFiles) {
      const rel = relative(HERE, f);
      if (!installDirs.includes(rel.split('/')[0]!) || rel.endsWith('kustomization.yaml')) continue;
      if (rel.startsWith('monitoring/rules/') || notApplied.has(rel)) continue;
      expect(listed.has(f), `${rel} is listed in a kustomization`).toBe(true);
    }
  });

  it('keep examples out of the base install', () => {
    expect(byKind(base, 'Pool')).toEqual([]);
    expect(byKind(base, 'Queue')).toEqual([]);
    expect(byKind(base, 'Tenant')).toEqual([]);
    expect(byKind(base, 'CustomResourceDefinition').map((c) => c.metadata.name).sort()).toEqual([
      'pools.tessera.io',
      'queues.tessera.io',
      'tenants.tessera.io',
    ]);
  });

  it('have no duplicate objects in one build', () => {
    for (const dir of [HERE, join(HERE, 'examples'), join(HERE, 'monitoring'), join(HERE, 'hardening')]) {
      const keys = build(dir).map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`);
      expect(new Set(keys).size, relative(ROOT, dir)).toBe(keys.length);
    }
  });
});

/** Collects structural-schema violations (apiextensions "structural" rules, simplified). */
function structuralProblems(s: Obj, path: string, out: string[]): void {
  for (const banned of ['$ref', 'definitions', 'dependencies', 'additionalItems', 'patternProperties']) {
    if (banned in s) out.push(`${path}: ${banned} is not allowed`);
  }
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (!intOrString && !preserve && typeof s.type !== 'string') out.push(`${path}: no type`);
  if (intOrString && s.type !== undefined) out.push(`${path}: int-or-string must not set type`);
  if (s.type === 'object') {
    if (s.properties && s.additionalProperties) out.push(`${path}: properties and additionalProperties together`);
    for (const [k, v] of Object.entries<Obj>(s.properties ?? {})) structuralProblems(v, `${path}.${k}`, out);
    if (s.additionalProperties && typeof s.additionalProperties === 'object') {
      structuralProblems(s.additionalProperties, `${path}[*]`, out);
    }
    for (const r of s.required ?? []) {
      if (!(r in (s.properties ?? {}))) out.push(`${path}: required ${r} is not a property`);
    }
  }
  if (s.type === 'array') {
    if (!s.items || Array.isArray(s.items)) out.push(`${path}: array needs one items schema`);
    else structuralProblems(s.items, `${path}[]`, out);
  }
  if (s.enum !== undefined && s.default !== undefined && !s.enum.includes(s.default)) {
    out.push(`${path}: default ${s.default} not in enum`);
  }
  for (const v of s['x-kubernetes-validations'] ?? []) {
    if (typeof v.rule !== 'string' || v.rule.length === 0) out.push(`${path}: CEL rule missing`);
    if (typeof v.message !== 'string' || v.message.length === 0) out.push(`${path}: CEL rule without message`);
  }
}

function schemaAt(schema: Obj, jsonPath: string): Obj | undefined {
  let s: Obj | undefined = schema;
  for (const part of jsonPath.replace(/^\./, '').split('.')) {
    if (part === 'metadata' && s?.properties?.metadata) return { type: 'object' };
    s = s?.properties?.[part];
  }
  return s;
}

describe('CRDs', () => {
  const crds = byKind(base, 'CustomResourceDefinition');

  it('are cluster-scoped tessera.io/v1alpha1 with status subresources', () => {
    for (const c of crds) {
      expect(c.spec.group).toBe('tessera.io');
      expect(c.spec.scope).toBe('Cluster');
      expect(c.metadata.name).toBe(`${c.spec.names.plural}.tessera.io`);
      expect(c.spec.versions.map((v: Obj) => v.name)).toEqual(['v1alpha1']);
      expect(c.spec.versions[0].storage).toBe(true);
      expect(c.spec.versions[0].subresources).toEqual({ status: {} });
    }
  });

  it('have structural schemas (types everywhere, no refs, required fields exist)', () => {
    for (const c of crds) {
      const problems: string[] = [];
      const root = c.spec.versions[0].schema.openAPIV3Schema;
      structuralProblems(root, c.spec.names.kind, problems);
      expect(problems).toEqual([]);
      expect(root.properties.metadata).toEqual({ type: 'object' });
      expect(root.properties.spec.type).toBe('object');
      expect(root.properties.status.type).toBe('object');
    }
    // The checker itself catches violations.
    const bad: string[] = [];
    structuralProblems({ type: 'object', properties: { a: {}, b: { type: 'array' } }, required: ['c'] }, 'x', bad);
    expect(bad).toHaveLength(3);
  });

  it('have printer columns that point into the schema', () => {
    for (const c of crds) {
      const v = c.spec.versions[0];
      for (const col of v.additionalPrinterColumns) {
        expect(schemaAt(v.schema.openAPIV3Schema, col.jsonPath), `${c.spec.names.kind} column ${col.name}`).toBeDefined();
        expect(['string', 'integer', 'number', 'boolean', 'date']).toContain(col.type);
      }
    }
    const queue = named(crds, 'CustomResourceDefinition', 'queues.tessera.io');
    const cols = queue.spec.versions[0].additionalPrinterColumns.map((c: Obj) => c.name);
    for (const want of ['Guarantee', 'Used', 'Borrowed', 'Lent']) expect(cols).toContain(want);
  });

  it('follow the docs/crds.md field names', () => {
    const doc = readFileSync(join(ROOT, 'docs/crds.md'), 'utf8');
    for (const c of crds) {
      const spec = c.spec.versions[0].schema.openAPIV3Schema.properties.spec;
      for (const field of Object.keys(spec.properties)) {
        expect(doc.includes(`${field}:`), `${c.spec.names.kind}.spec.${field} appears in docs/crds.md`).toBe(true);
      }
    }
    const pool = named(crds, 'CustomResourceDefinition', 'pools.tessera.io').spec.versions[0].schema.openAPIV3Schema;
    expect(pool.properties.spec.properties.mode.enum).toEqual(['elastic', 'fixed', 'mixed']);
    expect(pool.properties.spec.properties.computeOvercommit.minimum).toBe(1);
    const queue = named(crds, 'CustomResourceDefinition', 'queues.tessera.io').spec.versions[0].schema.openAPIV3Schema;
    const rules = queue.properties.spec['x-kubernetes-validations'].map((v: Obj) => v.rule).join('\n');
    expect(rules).toContain('self.limit.gpu');
    expect(rules).toContain('self.limit.memoryMiB');
  });
});

const GPU_PATTERN = /^[0-9]{1,6}(\.[0-9]{1,4})?$/;
const gpuOf = (a: Obj | undefined): number | undefined => (a?.gpu === undefined ? undefined : Number(a.gpu));

describe('examples', () => {
  const ex = build(join(HERE, 'examples'));

  it('define the three environments with the modes the design asks for', () => {
    const modes = Object.fromEntries(byKind(ex, 'Pool').map((p) => [p.metadata.name, p.spec.mode]));
    expect(modes).toEqual({ training: 'elastic', test: 'mixed', inference: 'fixed' });
  });

  it('have queues whose amounts match the schema pattern, limits >= guarantees, and existing references', () => {
    const pools = new Set(byKind(ex, 'Pool').map((p) => p.metadata.name));
    const tenants = new Set(byKind(ex, 'Tenant').map((t) => t.metadata.name));
    const queues = byKind(ex, 'Queue');
    expect(queues.length).toBe(3);
    for (const q of queues) {
      expect(pools.has(q.spec.pool), q.metadata.name).toBe(true);
      expect(tenants.has(q.spec.tenant), q.metadata.name).toBe(true);
      for (const a of [q.spec.guarantee, q.spec.limit]) {
        if (a?.gpu !== undefined) expect(String(a.gpu)).toMatch(GPU_PATTERN);
      }
      const g = gpuOf(q.spec.guarantee);
      const l = gpuOf(q.spec.limit);
      if (g !== undefined && l !== undefined) expect(l).toBeGreaterThanOrEqual(g);
    }
    const namespaces = new Set(byKind(ex, 'Namespace').map((n) => n.metadata.name));
    for (const t of byKind(ex, 'Tenant')) {
      for (const ns of t.spec.namespaces) expect(namespaces.has(ns), ns).toBe(true);
      expect(pools.has(t.spec.defaultPool)).toBe(true);
      expect(queues.some((q) => q.metadata.name === t.spec.defaultQueue && q.spec.tenant === t.metadata.name)).toBe(true);
    }
  });
});

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}

describe('RBAC', () => {
  const everything = [HERE, join(HERE, 'hardening')].flatMap((d) => build(d));
  const roles = everything.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');

  it('grants no secrets cluster-wide, no pods/exec|attach|portforward, no wildcards', () => {
    expect(roles.length).toBeGreaterThanOrEqual(5);
    for (const r of roles) {
      for (const rule of (r.rules ?? []) as Rule[]) {
        const what = `${r.kind} ${r.metadata.name}`;
        expect(rule.resources ?? [], what).not.toContain('*');
        expect(rule.verbs ?? [], what).not.toContain('*');
        expect(rule.apiGroups ?? [], what).not.toContain('*');
        for (const sub of ['pods/exec', 'pods/attach', 'pods/portforward', 'nodes/proxy']) {
          expect(rule.resources ?? [], what).not.toContain(sub);
        }
        if (r.kind === 'ClusterRole') expect(rule.resources ?? [], what).not.toContain('secrets');
        if (r.kind === 'Role' && (rule.resources ?? []).includes('secrets')) {
          expect(r.metadata.namespace).toBe('tessera-system');
          expect(rule.verbs).not.toContain('list');
          expect(rule.verbs).not.toContain('watch');
        }
      }
    }
  });

  it('binds no Tessera account to cluster-admin, admin or edit', () => {
    for (const b of everything.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')) {
      expect(['cluster-admin', 'admin', 'edit']).not.toContain(b.roleRef.name);
    }
  });

  it('lets each component do what it needs (extender binds/evicts/patches, agent patches nodes)', () => {
    const can = (role: string, group: string, resource: string, verb: string) =>
      ((named(roles, 'ClusterRole', role).rules ?? []) as Rule[]).some(
        (x) => x.apiGroups?.includes(group) && x.resources?.includes(resource) && x.verbs?.includes(verb),
      );
    expect(can('tessera-extender', '', 'pods/binding', 'create')).toBe(true);
    expect(can('tessera-extender', '', 'pods/eviction', 'create')).toBe(true);
    expect(can('tessera-extender', '', 'pods', 'patch')).toBe(true);
    expect(can('tessera-extender', '', 'nodes', 'patch')).toBe(false);
    expect(can('tessera-extender', 'tessera.io', 'queues/status', 'update')).toBe(true);
    expect(can('tessera-extender', 'authentication.k8s.io', 'tokenreviews', 'create')).toBe(true);
    expect(can('tessera-agent', '', 'nodes', 'patch')).toBe(true);
    expect(can('tessera-agent', '', 'pods', 'list')).toBe(true);
    expect(can('tessera-agent', '', 'pods/binding', 'create')).toBe(false);
  });

  it('binds every ServiceAccount that a workload uses, and every binding names a role that exists', () => {
    const sas = new Set(byKind(base, 'ServiceAccount').map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
    const workloads = base.filter((o) => ['Deployment', 'DaemonSet', 'Job'].includes(o.kind));
    for (const w of workloads) {
      const sa = w.spec.template.spec.serviceAccountName;
      expect(sas.has(`${w.metadata.namespace}/${sa}`), `${w.kind} ${w.metadata.name} uses ${sa}`).toBe(true);
    }
    const builtin = new Set(['system:kube-scheduler', 'system:volume-scheduler', 'extension-apiserver-authentication-reader']);
    for (const b of base.filter((o) => o.kind.endsWith('RoleBinding'))) {
      if (!builtin.has(b.roleRef.name)) named(roles, b.roleRef.kind, b.roleRef.name);
      for (const s of b.subjects) expect(sas.has(`${s.namespace}/${s.name}`), `${b.metadata.name} subject`).toBe(true);
    }
  });
});

function containers(w: Obj): Obj[] {
  return [...(w.spec.template.spec.initContainers ?? []), ...w.spec.template.spec.containers];
}

describe('workloads', () => {
  const workloads = base.filter((o) => ['Deployment', 'DaemonSet'].includes(o.kind));

  it('probe and expose ports that the containers declare, and set resources', () => {
    for (const w of workloads) {
      for (const c of w.spec.template.spec.containers) {
        const ports = new Set<string | number>((c.ports ?? []).flatMap((p: Obj) => [p.name, p.containerPort]));
        for (const probe of ['livenessProbe', 'readinessProbe']) {
          expect(c[probe], `${w.metadata.name} ${probe}`).toBeDefined();
          expect(ports.has(c[probe].httpGet.port), `${w.metadata.name} ${probe} port`).toBe(true);
        }
        expect(c.resources?.requests?.memory, w.metadata.name).toBeDefined();
        expect(c.resources?.limits?.memory, w.metadata.name).toBeDefined();
        expect(c.securityContext?.allowPrivilegeEscalation === false || c.securityContext?.privileged === true).toBe(true);
      }
    }
  });

  it('route the Service and the webhooks to declared ports and paths', () => {
    const svc = named(base, 'Service', 'tessera-extender');
    const dep = named(base, 'Deployment', 'tessera-extender');
    const podPorts = new Set(dep.spec.template.spec.containers[0].ports.map((p: Obj) => p.name));
    for (const p of svc.spec.ports) expect(podPorts.has(p.targetPort)).toBe(true);
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(dep.spec.template.metadata.labels[k]).toBe(v);
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const wh = named(base, kind, 'tessera-webhook');
      for (const h of wh.webhooks) {
        expect(h.clientConfig.service.name).toBe('tessera-extender');
        expect(svc.spec.ports.map((p: Obj) => p.port)).toContain(h.clientConfig.service.port);
        expect(h.sideEffects).toBe('None');
        expect(h.admissionReviewVersions).toContain('v1');
        expect(h.rules[0].operations).toEqual(['CREATE']);
        expect(h.rules[0].resources).toEqual(['pods']);
        expect(h.clientConfig.service.path).toBe(kind.startsWith('Mutating') ? '/mutate' : '/validate');
        const excluded = h.namespaceSelector.matchExpressions.find((e: Obj) => e.key === 'kubernetes.io/metadata.name');
        expect(excluded.operator).toBe('NotIn');
        expect(excluded.values).toEqual(expect.arrayContaining(['tessera-system', 'kube-system']));
        expect(h.matchConditions[0].expression).toContain("startsWith('nvidia.com/')");
      }
    }
  });

  it('run the extender with two replicas and the agent within its 80 MB budget', () => {
    expect(named(base, 'Deployment', 'tessera-extender').spec.replicas).toBe(2);
    for (const ds of byKind(base, 'DaemonSet')) {
      const c = ds.spec.template.spec.containers[0];
      expect(c.args[0]).toBe('agent');
      expect(c.resources.requests.memory).toBe('80Mi');
      const mounts = new Map(c.volumeMounts.map((m: Obj) => [m.mountPath, m.name]));
      const vols = new Map(ds.spec.template.spec.volumes.map((v: Obj) => [v.name, v]));
      for (const path of ['/var/lib/kubelet/device-plugins', '/var/lib/kubelet/pod-resources']) {
        const vol = vols.get(mounts.get(path)) as Obj;
        expect(vol.hostPath.path, `${ds.metadata.name} mounts ${path}`).toBe(path);
      }
      expect(ds.spec.template.spec.tolerations.length).toBeGreaterThan(0);
    }
    const nvidia = named(base, 'DaemonSet', 'tessera-agent-nvidia');
    expect(nvidia.spec.template.spec.containers[0].securityContext.privileged).toBe(false);
  });
});

describe('container args', () => {
  it('use only flags the tessera CLI knows (extender Deployment, agent DaemonSets)', () => {
    const program = buildProgram();
    const workloads = base.filter((o) => ['Deployment', 'DaemonSet'].includes(o.kind));
    let checked = 0;
    for (const w of workloads) {
      for (const c of w.spec.template.spec.containers) {
        if (!String(c.image).startsWith('ghcr.io/tessera-io/tessera')) continue;
        const [sub, ...args] = c.args as string[];
        const cmd = program.commands.find((x) => x.name() === sub);
        expect(cmd, `${w.metadata.name}: subcommand ${sub}`).toBeDefined();
        const { unknown } = cmd!.parseOptions(args);
        expect(unknown, `${w.metadata.name}: flags the CLI does not know`).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBe(3);
    const { unknown } = program.commands.find((x) => x.name() === 'extender')!.parseOptions(['--leader-elect=true', '--no-such-flag']);
    expect(unknown.length).toBeGreaterThan(0);
  });
});

describe('kube-scheduler configuration', () => {
  const cm = named(base, 'ConfigMap', 'tessera-scheduler-config');
  const cfg = parse(cm.data['config.yaml']) as Obj;
  const ext = cfg.extenders[0];

  it('runs the tessera-scheduler profile that the extender expects', () => {
    expect(cfg.apiVersion).toBe('kubescheduler.config.k8s.io/v1');
    expect(cfg.profiles.map((p: Obj) => p.schedulerName)).toEqual(['tessera-scheduler']);
    const args: string[] = named(base, 'Deployment', 'tessera-extender').spec.template.spec.containers[0].args;
    expect(args).toContain('--scheduler-name=tessera-scheduler');
  });

  it('calls the extender through its Service with every verb and node cache', () => {
    const svc = named(base, 'Service', 'tessera-extender');
    const url = new URL(ext.urlPrefix);
    expect(url.hostname).toBe(`${svc.metadata.name}.${svc.metadata.namespace}.svc`);
    expect(svc.spec.ports.map((p: Obj) => p.port)).toContain(Number(url.port));
    const args: string[] = named(base, 'Deployment', 'tessera-extender').spec.template.spec.containers[0].args;
    expect(args).toContain(`--verb-prefix=${url.pathname}`);
    expect(ext.enableHTTPS).toBe(url.protocol === 'https:');
    expect([ext.filterVerb, ext.prioritizeVerb, ext.preemptVerb, ext.bindVerb]).toEqual(['filter', 'prioritize', 'preempt', 'bind']);
    expect(ext.weight).toBeGreaterThan(0);
    expect(ext.nodeCacheCapable).toBe(true);
    const dep = named(base, 'Deployment', 'tessera-scheduler');
    expect(dep.spec.template.spec.containers[0].command).toContain('--config=/etc/tessera-scheduler/config.yaml');
  });

  it('manages exactly the resources of the extender, ignoring only the share sizes in NodeResourcesFit', () => {
    const names = ext.managedResources.map((r: Obj) => r.name);
    expect(new Set(names).size).toBe(names.length);
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    const want = managedResources.map((r) => ({ name: r.name, ignoredByScheduler: r.ignoredByScheduler })).sort(byName);
    expect([...ext.managedResources].sort(byName)).toEqual(want);
    for (const n of ['nvidia.com/gpu', 'nvidia.com/gpumem', 'nvidia.com/gpumem-percentage', 'nvidia.com/gpucores', 'huawei.com/Ascend910', 'huawei.com/Ascend910-2c']) {
      expect(names).toContain(n);
    }
    const ignored = ext.managedResources.filter((r: Obj) => r.ignoredByScheduler).map((r: Obj) => r.name).sort();
    expect(ignored).toEqual(['nvidia.com/gpucores', 'nvidia.com/gpumem', 'nvidia.com/gpumem-percentage']);
  });
});

describe('monitoring', () => {
  const ruleFile = parse(readFileSync(join(HERE, 'monitoring/rules/tessera-rules.yaml'), 'utf8')) as Obj;

  it('PrometheusRule carries exactly the groups of the plain rule file', () => {
    const pr = named(build(join(HERE, 'monitoring')), 'PrometheusRule', 'tessera');
    expect(pr.spec.groups).toEqual(ruleFile.groups);
  });

  it('has a promtool test for every alert', () => {
    const tests = parse(readFileSync(join(HERE, 'monitoring/rules/tests.yaml'), 'utf8')) as Obj;
    const tested = new Set<string>(tests.tests.flatMap((t: Obj) => (t.alert_rule_test ?? []).map((a: Obj) => a.alertname)));
    const alerts: string[] = ruleFile.groups.flatMap((g: Obj) => g.rules.map((r: Obj) => r.alert));
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    for (const a of alerts) expect(tested.has(a), `${a} has a promtool test`).toBe(true);
  });

  it('points every alert at a runbook section that exists in docs/troubleshooting.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/troubleshooting.md'), 'utf8');
    const anchors = new Set(
      [...doc.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')),
    );
    for (const g of ruleFile.groups) {
      for (const r of g.rules) {
        const url: string = r.annotations.runbook_url;
        expect(url, r.alert).toMatch(/docs\/troubleshooting\.md#/);
        expect(anchors.has(url.split('#')[1]!), `${r.alert} → ${url}`).toBe(true);
      }
    }
  });

  it('uses only Tessera metric names documented in docs/metrics.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/metrics.md'), 'utf8');
    const sources = [
      readFileSync(join(HERE, 'monitoring/rules/tessera-rules.yaml'), 'utf8'),
      readFileSync(join(HERE, 'monitoring/grafana/tessera-dashboard.json'), 'utf8'),
    ].join('\n');
    const used = new Set([...sources.matchAll(/\btessera_(?:extender|agent)_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')));
    expect(used.size).toBeGreaterThan(10);
    for (const m of used) expect(doc.includes(`\`${m}\``), `${m} documented`).toBe(true);
  });
});
