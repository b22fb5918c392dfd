/** The bundled openb CSVs (bench/data/openb/, see its ATTRIBUTION.md). */
import { fileURLToPath } from 'node:url';

export const DEFAULT_NODES_FILE = fileURLToPath(new URL('../data/openb/openb_node_list_gpu_node.csv', import.meta.url));
export const DEFAULT_PODS_FILE = fileURLToPath(new URL('../data/openb/openb_pod_list_default.csv', import.meta.url));
