/**
 * Parser for `nvidia-smi -q -x` (DTD versions v11, v12, v13 seen in the wild). Reads
 * per GPU: UUID, minor number, product name, framebuffer total, PCI bus id, MIG mode and
 * MIG devices, and the health signals (retired pages, remapped rows, reset status,
 * recovery action). Unknown elements are ignored, so newer DTDs still parse.
 */
import { ParseError } from '../errors.js';
import { GPU_UUID, type NvidiaGpu, type NvidiaGpuList, type NvidiaMigDevice, nvidiaHealth } from './nvidia-gpu.js';
import { cellOrNull, parseIntCell, parseQuantity, requireNonEmpty } from './text.js';
import { child, parseXml, textAt, type XmlElement } from './xml.js';

export const NVIDIA_XML_SOURCE = 'nvidia-smi -q -x';

/** DTD versions whose layout we have checked against real outputs. */
const KNOWN_DTD = new Set(['v10', 'v11', 'v12', 'v13']);

export function parseNvidiaSmiXml(text: string): NvidiaGpuList {
  const src = NVIDIA_XML_SOURCE;
  requireNonEmpty(src, text);
  const doc = parseXml(src, text);
  const root = doc.root;
  if (root.name !== 'nvidia_smi_log') {
    throw new ParseError(src, root.line, `expected root element <nvidia_smi_log>, got <${root.name}>`);
  }
  const warnings: string[] = [];
  const dtd = doc.doctypeSystemId === null ? null : /_v(\d+)\.dtd$/.exec(doc.doctypeSystemId);
  const dtdVersion = dtd ? `v${dtd[1]}` : null;
  if (dtdVersion !== null && !KNOWN_DTD.has(dtdVersion)) {
    warnings.push(`DTD ${doc.doctypeSystemId} is newer than the versions checked (v11-v13); parsed the known elements`);
  }

  const gpuElements = root.children.filter((c) => c.name === 'gpu');
  const attachedEl = child(root, 'attached_gpus');
  const attached = attachedEl ? parseIntCell(src, attachedEl.line, 'attached_gpus', attachedEl.text) : null;
  if (attached !== null && attached !== gpuElements.length) {
    warnings.push(
      `attached_gpus says ${attached} but ${gpuElements.length} <gpu> element(s) are present; using the <gpu> elements`,
    );
  }
  const gpus = gpuElements.map((el, i) => parseGpu(src, el, i));
  const seen = new Map<string, number>();
  for (const g of gpus) {
    const prev = seen.get(g.id);
    if (prev !== undefined) {
      const el = gpuElements[g.index] as XmlElement;
      throw new ParseError(src, el.line, `duplicate GPU UUID ${g.id} (also GPU index ${prev}); expected unique UUIDs`);
    }
    seen.set(g.id, g.index);
  }
  return {
    source: src,
    driverVersion: cellOrNull(textAt(root, 'driver_version')),
    dtdVersion,
    gpus,
    warnings,
  };
}

function required(src: string, gpu: XmlElement, ...path: string[]): string {
  const value = cellOrNull(textAt(gpu, ...path));
  if (value === null) {
    throw new ParseError(src, gpu.line, `<gpu> is missing <${path.join('/')}>; expected a value`);
  }
  return value;
}

function lineOf(gpu: XmlElement, ...path: string[]): number {
  let cur: XmlElement | undefined = gpu;
  let line = gpu.line;
  for (const step of path) {
    cur = cur ? child(cur, step) : undefined;
    if (cur) line = cur.line;
  }
  return line;
}

function parseGpu(src: string, gpu: XmlElement, position: number): NvidiaGpu {
  const id = required(src, gpu, 'uuid');
  if (!GPU_UUID.test(id)) {
    throw new ParseError(src, lineOf(gpu, 'uuid'), `expected a GPU UUID like GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, got '${id}'`);
  }
  const model = required(src, gpu, 'product_name');
  const memoryMiB = parseQuantity(src, lineOf(gpu, 'fb_memory_usage', 'total'), 'fb_memory_usage/total', textAt(gpu, 'fb_memory_usage', 'total'), 'MiB');
  const minor = parseIntCell(src, lineOf(gpu, 'minor_number'), 'minor_number', textAt(gpu, 'minor_number'));
  const migMode = cellOrNull(textAt(gpu, 'mig_mode', 'current_mig'));
  const remapped = child(gpu, 'remapped_rows');
  return {
    id,
    index: position,
    minor,
    model,
    memoryMiB,
    pciBusId: gpu.attrs.id ?? cellOrNull(textAt(gpu, 'pci', 'pci_bus_id')),
    ...nvidiaHealth({
      retiredPagesPending: cellOrNull(textAt(gpu, 'retired_pages', 'pending_retirement')),
      remappedRowsPending: remapped ? cellOrNull(textAt(remapped, 'remapped_row_pending')) : null,
      remappedRowsFailure: remapped ? cellOrNull(textAt(remapped, 'remapped_row_failure')) : null,
      resetRequired: cellOrNull(textAt(gpu, 'gpu_reset_status', 'reset_required')),
      drainAndResetRecommended: cellOrNull(textAt(gpu, 'gpu_reset_status', 'drain_and_reset_recommended')),
      recoveryAction: cellOrNull(textAt(gpu, 'gpu_recovery_action')),
    }),
    migEnabled: migMode === null ? null : /^enabled$/i.test(migMode),
    migDevices: parseMigDevices(src, gpu),
  };
}

function parseMigDevices(src: string, gpu: XmlElement): NvidiaMigDevice[] {
  const list = child(gpu, 'mig_devices');
  if (!list) return [];
  return list.children
    .filter((c) => c.name === 'mig_device')
    .map((m, k) => {
      const int = (what: string, ...path: string[]): number | null =>
        parseIntCell(src, lineOf(m, ...path), `mig_device/${what}`, textAt(m, ...path));
      return {
        index: int('index', 'index') ?? k,
        gpuInstanceId: int('gpu_instance_id', 'gpu_instance_id'),
        computeInstanceId: int('compute_instance_id', 'compute_instance_id'),
        multiprocessorCount: int('multiprocessor_count', 'device_attributes', 'shared', 'multiprocessor_count'),
        memoryMiB: parseQuantity(src, lineOf(m, 'fb_memory_usage', 'total'), 'mig_device/fb_memory_usage/total', textAt(m, 'fb_memory_usage', 'total'), 'MiB'),
      };
    });
}
