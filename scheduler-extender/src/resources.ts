/**
 * Kubernetes resource names Tessera manages, exported as data for manifests/ (the
 * KubeSchedulerConfiguration `managedResources` list) and for the translation of pods.
 */
export const RES_NVIDIA_GPU = 'nvidia.com/gpu';
export const RES_NVIDIA_GPUMEM = 'nvidia.com/gpumem';
export const RES_NVIDIA_GPUMEM_PERCENT = 'nvidia.com/gpumem-percentage';
export const RES_NVIDIA_GPUCORES = 'nvidia.com/gpucores';

/** Whole-chip Ascend resources and the model substrings they accept / refuse. */
export const ASCEND_CHIPS: Readonly<Record<string, { allow: string[]; deny: string[] }>> = {
  'huawei.com/Ascend910': { allow: ['Ascend910'], deny: [] },
  'huawei.com/Ascend310': { allow: ['Ascend310'], deny: ['Ascend310P'] },
  'huawei.com/Ascend310P': { allow: ['Ascend310P'], deny: [] },
};

/** AI cores per chip, to size vNPU templates (`Ascend910-2c` = 2 of 32 cores). */
export const ASCEND_AICORES: Readonly<Record<string, number>> = { Ascend910: 32, Ascend310P: 8 };

/** vNPU template resources as the Ascend device plugin names them. */
export const VNPU_TEMPLATE = /^huawei\.com\/(Ascend910|Ascend310P)-(\d+)c(?:\.[0-9a-z.]+)?$/;
export const VNPU_TEMPLATES = [
  'huawei.com/Ascend910-2c',
  'huawei.com/Ascend910-4c',
  'huawei.com/Ascend910-8c',
  'huawei.com/Ascend910-16c',
  'huawei.com/Ascend310P-1c',
  'huawei.com/Ascend310P-2c',
  'huawei.com/Ascend310P-4c',
] as const;

export interface ManagedResource {
  readonly name: string;
  /** True for share sizes that no device plugin advertises: kube-scheduler's fit check skips them. */
  readonly ignoredByScheduler: boolean;
}

export const managedResources: readonly ManagedResource[] = [
  { name: RES_NVIDIA_GPU, ignoredByScheduler: false },
  { name: RES_NVIDIA_GPUMEM, ignoredByScheduler: true },
  { name: RES_NVIDIA_GPUMEM_PERCENT, ignoredByScheduler: true },
  { name: RES_NVIDIA_GPUCORES, ignoredByScheduler: true },
  ...Object.keys(ASCEND_CHIPS).map((name) => ({ name, ignoredByScheduler: false })),
  ...VNPU_TEMPLATES.map((name) => ({ name, ignoredByScheduler: false })),
];

/** True when a resource name is one Tessera places devices for. */
export function isAcceleratorResource(name: string): boolean {
  return (
    name === RES_NVIDIA_GPU ||
    name === RES_NVIDIA_GPUMEM ||
    name === RES_NVIDIA_GPUMEM_PERCENT ||
    name === RES_NVIDIA_GPUCORES ||
    Object.hasOwn(ASCEND_CHIPS, name) ||
    VNPU_TEMPLATE.test(name)
  );
}
