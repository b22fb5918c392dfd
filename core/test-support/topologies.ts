/**
 * Link matrices of the topology fixtures in shared/fixtures/nvidia-smi/topo/*.json, copied
 * here so tests run from a fresh clone (a test checks they still equal the fixtures when present).
 */
import type { LinkClass } from '../model.js';

export type LinkMatrix = readonly (readonly LinkClass[])[];

/** dgx1-v100-hybrid-cube-mesh.json */
export const DGX1_V100: LinkMatrix = [
  ['X', 'NV1', 'NV1', 'NV2', 'NV2', 'SYS', 'SYS', 'SYS'],
  ['NV1', 'X', 'NV2', 'NV1', 'SYS', 'NV2', 'SYS', 'SYS'],
  ['NV1', 'NV2', 'X', 'NV2', 'SYS', 'SYS', 'NV1', 'SYS'],
  ['NV2', 'NV1', 'NV2', 'X', 'SYS', 'SYS', 'SYS', 'NV1'],
  ['NV2', 'SYS', 'SYS', 'SYS', 'X', 'NV1', 'NV1', 'NV2'],
  ['SYS', 'NV2', 'SYS', 'SYS', 'NV1', 'X', 'NV2', 'NV1'],
  ['SYS', 'SYS', 'NV1', 'SYS', 'NV1', 'NV2', 'X', 'NV2'],
  ['SYS', 'SYS', 'SYS', 'NV1', 'NV2', 'NV1', 'NV2', 'X'],
];

/** dgx-a100-8x-nv12.json */
export const DGX_A100: LinkMatrix = [
  ['X', 'NV12', 'NV12', 'NV12', 'NV12', 'NV12', 'NV12', 'NV12'],
  ['NV12', 'X', 'NV12', 'NV12', 'NV12', 'NV12', 'NV12', 'NV12'],
  ['NV12', 'NV12', 'X', 'NV12', 'NV12', 'NV12', 'NV12', 'NV12'],
  ['NV12', 'NV12', 'NV12', 'X', 'NV12', 'NV12', 'NV12', 'NV12'],
  ['NV12', 'NV12', 'NV12', 'NV12', 'X', 'NV12', 'NV12', 'NV12'],
  ['NV12', 'NV12', 'NV12', 'NV12', 'NV12', 'X', 'NV12', 'NV12'],
  ['NV12', 'NV12', 'NV12', 'NV12', 'NV12', 'NV12', 'X', 'NV12'],
  ['NV12', 'NV12', 'NV12', 'NV12', 'NV12', 'NV12', 'NV12', 'X'],
];

/** dgx-h100-8x-nv18.json */
export const DGX_H100: LinkMatrix = [
  ['X', 'NV18', 'NV18', 'NV18', 'NV18', 'NV18', 'NV18', 'NV18'],
  ['NV18', 'X', 'NV18', 'NV18', 'NV18', 'NV18', 'NV18', 'NV18'],
  ['NV18', 'NV18', 'X', 'NV18', 'NV18', 'NV18', 'NV18', 'NV18'],
  ['NV18', 'NV18', 'NV18', 'X', 'NV18', 'NV18', 'NV18', 'NV18'],
  ['NV18', 'NV18', 'NV18', 'NV18', 'X', 'NV18', 'NV18', 'NV18'],
  ['NV18', 'NV18', 'NV18', 'NV18', 'NV18', 'X', 'NV18', 'NV18'],
  ['NV18', 'NV18', 'NV18', 'NV18', 'NV18', 'NV18', 'X', 'NV18'],
  ['NV18', 'NV18', 'NV18', 'NV18', 'NV18', 'NV18', 'NV18', 'X'],
];

/** pcie-8x-2socket-pix-phb-sys.json */
export const PCIE_2SOCKET: LinkMatrix = [
  ['X', 'PIX', 'PHB', 'PHB', 'SYS', 'SYS', 'SYS', 'SYS'],
  ['PIX', 'X', 'PHB', 'PHB', 'SYS', 'SYS', 'SYS', 'SYS'],
  ['PHB', 'PHB', 'X', 'PIX', 'SYS', 'SYS', 'SYS', 'SYS'],
  ['PHB', 'PHB', 'PIX', 'X', 'SYS', 'SYS', 'SYS', 'SYS'],
  ['SYS', 'SYS', 'SYS', 'SYS', 'X', 'PIX', 'PHB', 'PHB'],
  ['SYS', 'SYS', 'SYS', 'SYS', 'PIX', 'X', 'PHB', 'PHB'],
  ['SYS', 'SYS', 'SYS', 'SYS', 'PHB', 'PHB', 'X', 'PIX'],
  ['SYS', 'SYS', 'SYS', 'SYS', 'PHB', 'PHB', 'PIX', 'X'],
];

/** 4x-rtx8000-nvlink-pairs.json */
export const RTX8000_PAIRS: LinkMatrix = [
  ['X', 'NODE', 'SYS', 'NV2'],
  ['NODE', 'X', 'NV2', 'SYS'],
  ['SYS', 'NV2', 'X', 'NODE'],
  ['NV2', 'SYS', 'NODE', 'X'],
];

export const FIXTURE_FILES: Readonly<Record<string, LinkMatrix>> = {
  'dgx1-v100-hybrid-cube-mesh.json': DGX1_V100,
  'dgx-a100-8x-nv12.json': DGX_A100,
  'dgx-h100-8x-nv18.json': DGX_H100,
  'pcie-8x-2socket-pix-phb-sys.json': PCIE_2SOCKET,
  '4x-rtx8000-nvlink-pairs.json': RTX8000_PAIRS,
};
