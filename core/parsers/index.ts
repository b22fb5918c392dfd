/**
 * Parsers for real GPU/NPU tool output and the builders that turn them into Node parts.
 * Each parser takes the command's text and returns plain data (plus `warnings` for things
 * it tolerated); malformed output throws a ParseError naming the line.
 *
 * Node agent, NVIDIA:
 *   buildNvidiaDevicesFromText({ xml: `nvidia-smi -q -x`, topo: `nvidia-smi topo -m` })
 *   // or { csv: `nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv`, topo }
 * Node agent, Ascend:
 *   buildAscendDevicesFromText({ info: `npu-smi info`, topo: `npu-smi info -t topo` })
 * Both return { devices, topology, warnings } in topology order.
 */
export { stripAnsi } from './text.js';
export { parseNvidiaTopo, toLinkClass, expandCpuList, NVIDIA_TOPO_SOURCE } from './nvidia-topo.js';
export type { NvidiaTopo, NvidiaTopoGpu } from './nvidia-topo.js';
export { parseNvidiaSmiXml, NVIDIA_XML_SOURCE } from './nvidia-xml.js';
export { parseNvidiaSmiCsv, NVIDIA_CSV_SOURCE } from './nvidia-csv.js';
export type { NvidiaCsvOptions } from './nvidia-csv.js';
export { nvidiaHealth } from './nvidia-gpu.js';
export type { NvidiaGpu, NvidiaGpuList, NvidiaMigDevice, NvidiaHealthSignals } from './nvidia-gpu.js';
export { parseNpuSmiInfo, ascendFamily, NPU_SMI_SOURCE } from './npu-smi.js';
export type { AscendChip, NpuSmiInfo } from './npu-smi.js';
export { parseNpuSmiTopo, hccsGroups, NPU_SMI_TOPO_SOURCE } from './npu-smi-topo.js';
export type { NpuSmiTopo, AscendLinkClass } from './npu-smi-topo.js';
export { buildNvidiaDevices, buildNvidiaDevicesFromText, buildAscendDevices, buildAscendDevicesFromText } from './build-devices.js';
export type { NodeDevices, NvidiaDevicesInput, AscendDevicesInput, NodeDevicesPart } from './build-devices.js';
export { inspectToolOutput, formatInspectReport, isInspectKind, INSPECT_KINDS } from './inspect.js';
export type { InspectKind, InspectReport, InspectDevice, InspectOptions } from './inspect.js';
