/**
 * kube-scheduler extender wire format (k8s.io/kube-scheduler/extender/v1, PROTOCOLS.md §1):
 * PascalCase envelope keys (Go field names, no json tags), camelCase Kubernetes objects
 * inside. Requests are checked by these schemas at the HTTP boundary; Go's decoder is
 * case-insensitive but kube-scheduler always sends the exact Go names, so we accept those.
 */
import { Type, type Static } from 'typebox';

const KubeObject = Type.Object({ metadata: Type.Object({}, { additionalProperties: true }) }, { additionalProperties: true });
const NullableArray = <T extends Parameters<typeof Type.Array>[0]>(t: T) => Type.Union([Type.Array(t), Type.Null()]);

export const ExtenderArgs = Type.Object(
  {
    Pod: KubeObject,
    Nodes: Type.Optional(Type.Union([Type.Object({ items: Type.Union([Type.Array(KubeObject), Type.Null()]) }, { additionalProperties: true }), Type.Null()])),
    NodeNames: Type.Optional(NullableArray(Type.String())),
  },
  { additionalProperties: true },
);
export type ExtenderArgs = Static<typeof ExtenderArgs>;

export interface ExtenderFilterResult {
  Nodes: { apiVersion?: string; kind?: string; metadata?: object; items: unknown[] } | null;
  NodeNames: string[] | null;
  FailedNodes: Record<string, string>;
  FailedAndUnresolvableNodes: Record<string, string>;
  Error: string;
}

export interface HostPriority {
  Host: string;
  Score: number;
}

export const ExtenderBindingArgs = Type.Object(
  {
    PodName: Type.String({ minLength: 1 }),
    PodNamespace: Type.String({ minLength: 1 }),
    PodUID: Type.String(),
    Node: Type.String({ minLength: 1 }),
  },
  { additionalProperties: true },
);
export type ExtenderBindingArgs = Static<typeof ExtenderBindingArgs>;

export interface ExtenderBindingResult {
  Error: string;
}

const MetaVictims = Type.Object(
  {
    Pods: NullableArray(Type.Object({ UID: Type.String() }, { additionalProperties: true })),
    NumPDBViolations: Type.Optional(Type.Integer()),
  },
  { additionalProperties: true },
);
const Victims = Type.Object(
  { Pods: NullableArray(KubeObject), NumPDBViolations: Type.Optional(Type.Integer()) },
  { additionalProperties: true },
);

export const ExtenderPreemptionArgs = Type.Object(
  {
    Pod: KubeObject,
    NodeNameToVictims: Type.Optional(Type.Union([Type.Record(Type.String(), Victims), Type.Null()])),
    NodeNameToMetaVictims: Type.Optional(Type.Union([Type.Record(Type.String(), MetaVictims), Type.Null()])),
  },
  { additionalProperties: true },
);
export type ExtenderPreemptionArgs = Static<typeof ExtenderPreemptionArgs>;

export interface MetaVictimsOut {
  Pods: { UID: string }[];
  NumPDBViolations: number;
}

export interface ExtenderPreemptionResult {
  NodeNameToMetaVictims: Record<string, MetaVictimsOut>;
}

/**
 * An answer may carry its wire JSON, written directly (filter over thousands of nodes):
 * a non-enumerable method under this key (called on the answer). The HTTP layer sends it as is.
 */
export const WIRE_JSON: unique symbol = Symbol('tessera.wireJson');

/** The JSON text of a verb's answer: its directly written form if it has one. */
export function wireJson(answer: object): string {
  const f = (answer as { [WIRE_JSON]?: (this: object) => string })[WIRE_JSON];
  return typeof f === 'function' ? f.call(answer) : JSON.stringify(answer);
}
