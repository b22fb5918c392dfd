/**
 * Merge parsed tool outputs into a Node's `devices` + `topology`, the shape the node
 * agent publishes. Device order = topology position: nvidia-smi index for NVIDIA
 * (the order of `topo -m` rows), physical id for Ascend.
 */
import { ParseError } from '../errors.js';
import { MILLI_PER_DEVICE } from '../units.js';
import type { Device, Node, Topology } from '../model.js';
import type { NvidiaGpuList } from './nvidia-gpu.js';
import { parseNvidiaSmiCsv } from './nvidia-csv.js';
import { NVIDIA_TOPO_SOURCE, type NvidiaTopo, parseNvidiaTopo } from './nvidia-topo.js';
import { parseNvidiaSmiXml } from './nvidia-xml.js';
import { type NpuSmiInfo, NPU_SMI_SOURCE } from './npu-smi.js';
import { NPU_SMI_TOPO_SOURCE, type NpuSmiTopo, parseNpuSmiTopo } from './npu-smi-topo.js';
import { parseNpuSmiInfo } from './npu-smi.js';

export interface NodeDevices {
  readonly devices: readonly Device[];
  readonly topology: Topology;
  /** Parser warnings of all inputs plus merge notes; the caller logs them. */
  readonly warnings: readonly string[];
}

export interface NvidiaDevicesInput {
  /** `nvidia-smi -q -x` or `--query-gpu` result (text is parsed; CSV text needs `csvFields` when made with noheader). */
  readonly gpus: NvidiaGpuList;
  /** `nvidia-smi topo -m` result; without it the topology is `none`. */
  readonly topo?: NvidiaTopo;
}

export function buildNvidiaDevices(input: NvidiaDevicesInput): NodeDevices {
  const { gpus: list, topo } = input;
  const warnings = [...list.warnings, ...(topo?.warnings ?? [])];
  const gpus = [...list.gpus].sort((a, b) => a.index - b.index);
  if (topo !== undefined) {
    if (topo.gpus.length !== gpus.length) {
      throw new ParseError(
        NVIDIA_TOPO_SOURCE,
        null,
        `matrix has ${topo.gpus.length} GPUs but ${list.source} lists ${gpus.length}; expected the same GPUs in both outputs`,
      );
    }
    gpus.forEach((g, pos) => {
      if (g.index !== pos) {
        throw new ParseError(list.source, null, `GPU ${g.id} has index ${g.index}; expected indexes 0..${gpus.length - 1} to match topo -m rows`);
      }
    });
  }
  const devices: Device[] = gpus.map((g, pos) => {
    if (g.memoryMiB === null) {
      throw new ParseError(list.source, null, `GPU ${g.id} has no memory total; expected memory.total / fb_memory_usage in the output`);
    }
    return {
      id: g.id,
      index: g.minor ?? g.index,
      vendor: 'nvidia',
      model: g.model,
      memoryMiB: g.memoryMiB,
      computeMilli: MILLI_PER_DEVICE,
      numa: topo?.gpus[pos]?.numaAffinity ?? null,
      health: g.health,
    };
  });
  const topology: Topology =
    topo === undefined || devices.length < 2 ? { kind: 'none' } : { kind: 'nvlink', links: topo.links.map((r) => [...r]) };
  return { devices, topology, warnings };
}

/** Same as buildNvidiaDevices, from raw text: `xml` or `csv` (exactly one), `topo` optional. */
export function buildNvidiaDevicesFromText(input: {
  readonly xml?: string;
  readonly csv?: string;
  readonly csvFields?: readonly string[];
  readonly topo?: string;
}): NodeDevices {
  if ((input.xml === undefined) === (input.csv === undefined)) {
    throw new ParseError('nvidia-smi', null, 'expected exactly one of the -q -x (xml) or --query-gpu (csv) outputs');
  }
  const gpus =
    input.xml !== undefined
      ? parseNvidiaSmiXml(input.xml)
      : parseNvidiaSmiCsv(input.csv as string, input.csvFields ? { fields: input.csvFields } : {});
  return buildNvidiaDevices(input.topo === undefined ? { gpus } : { gpus, topo: parseNvidiaTopo(input.topo) });
}

export interface AscendDevicesInput {
  readonly info: NpuSmiInfo;
  /** `npu-smi info -t topo` result; without it 8x Ascend 910 (not 910B) gets the Atlas 800 two-ring layout. */
  readonly topo?: NpuSmiTopo;
}

/** Chip names of the first-generation 910 (Atlas 800 training: two HCCS rings of 4). */
const ASCEND_910_RINGS = /^(Ascend\s*)?910(A|Pro[AB]?|Premium[AB]?)?$/i;

export function buildAscendDevices(input: AscendDevicesInput): NodeDevices {
  const { info, topo } = input;
  const warnings = [...info.warnings, ...(topo?.warnings ?? [])];
  const chips = [...info.chips].sort((a, b) => a.index - b.index);
  const devices: Device[] = chips.map((c) => ({
    id: c.id,
    index: c.index,
    vendor: 'ascend',
    model: c.model,
    memoryMiB: c.memoryMiB,
    computeMilli: MILLI_PER_DEVICE,
    numa: null,
    health: c.health,
  }));
  let topology: Topology = { kind: 'none' };
  if (topo !== undefined) {
    if (topo.npus.length !== chips.length) {
      throw new ParseError(
        NPU_SMI_TOPO_SOURCE,
        null,
        `matrix has ${topo.npus.length} NPUs but ${NPU_SMI_SOURCE} lists ${chips.length} chips; expected the same NPUs in both outputs`,
      );
    }
    if (topo.groups.some((g) => g.length > 1)) {
      topology = { kind: 'hccs', groups: topo.groups.map((g) => [...g]), fullMesh: topo.fullMesh };
    }
  } else if (chips.length === 8 && chips.every((c) => ASCEND_910_RINGS.test(c.name))) {
    topology = { kind: 'hccs', groups: [[0, 1, 2, 3], [4, 5, 6, 7]], fullMesh: false };
    warnings.push('no topo output; assumed the Atlas 800 (910) layout of two HCCS rings of 4');
  }
  return { devices, topology, warnings };
}

/** Same as buildAscendDevices, from raw `npu-smi info` and optional `npu-smi info -t topo` text. */
export function buildAscendDevicesFromText(input: { readonly info: string; readonly topo?: string }): NodeDevices {
  const info = parseNpuSmiInfo(input.info);
  return buildAscendDevices(input.topo === undefined ? { info } : { info, topo: parseNpuSmiTopo(input.topo) });
}

/** The parts of a Node the parsers provide. */
export type NodeDevicesPart = Pick<Node, 'devices' | 'topology'>;
