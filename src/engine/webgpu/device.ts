// Acquires a GPUDevice from any WebGPU implementation (navigator.gpu in the browser, Dawn's `webgpu`
// package in Node), with the adapter's real limits requested, adapter info summarised, and device loss
// surfaced as an event instead of an unhandled rejection.

/** Why a WebGPU device could not be had; `message` is written for a person, not a developer. */
export class WebGpuUnavailableError extends Error {
  constructor(
    readonly reason: 'no-webgpu' | 'no-adapter' | 'device-request-failed',
    message: string,
  ) {
    super(message);
    this.name = 'WebGpuUnavailableError';
  }
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True when the adapter is a software rasteriser (SwiftShader): correct but slow. */
  isSoftware: boolean;
  /** Short label for badges, e.g. "google swiftshader (software)". */
  label: string;
}

export interface GpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: AdapterSummary;
  limits: GpuLimits;
  hasTimestampQuery: boolean;
  /** Resolves when the device is lost, with the browser's reason and message. */
  lost: Promise<GPUDeviceLostInfo>;
}

/** The limits the engine sizes buffers and workgroups against. */
export interface GpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
}

const LIMIT_NAMES: (keyof GpuLimits)[] = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
];

export function summariseAdapter(adapter: GPUAdapter): AdapterSummary {
  // `adapter.info` is standard now; very old implementations lack it, so every field is defensive.
  const info = (adapter as { info?: GPUAdapterInfo }).info;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const haystack = `${vendor} ${architecture} ${device} ${description}`.toLowerCase();
  const isSoftware =
    haystack.includes('swiftshader') ||
    haystack.includes('llvmpipe') ||
    haystack.includes('lavapipe') ||
    Boolean((adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  const name = [vendor, architecture].filter(Boolean).join(' ') || description || 'unknown adapter';
  return {
    vendor,
    architecture,
    device,
    description,
    isSoftware,
    label: isSoftware ? `${name} (software)` : name,
  };
}

/**
 * Requests a high-performance adapter and a device with the adapter's own limits (the defaults are
 * much smaller than what real GPUs offer, e.g. 128 MiB storage bindings) and timestamp queries when
 * available. Never rejects with anything but WebGpuUnavailableError.
 */
export async function acquireGpu(gpu: GPU | undefined, label = 'spurious-rewards-lab'): Promise<GpuContext> {
  if (!gpu) {
    throw new WebGpuUnavailableError(
      'no-webgpu',
      'This browser does not expose WebGPU (navigator.gpu is missing). Use a recent Chrome, Edge or ' +
        'Safari, or Firefox with WebGPU enabled. The lab still runs small experiments on the CPU engine.',
    );
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    throw new WebGpuUnavailableError('no-adapter', `Asking for a WebGPU adapter failed: ${errorText(err)}`);
  }
  if (!adapter) {
    throw new WebGpuUnavailableError(
      'no-adapter',
      'WebGPU is present but no GPU adapter is available (the GPU may be blocklisted or disabled). ' +
        'The lab still runs small experiments on the CPU engine.',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) requiredLimits[name] = adapter.limits[name];
  const hasTimestampQuery = adapter.features.has('timestamp-query');
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label,
      requiredLimits,
      requiredFeatures: hasTimestampQuery ? ['timestamp-query'] : [],
    });
  } catch (err) {
    throw new WebGpuUnavailableError(
      'device-request-failed',
      `The GPU adapter refused a device: ${errorText(err)}`,
    );
  }
  const limits = {} as GpuLimits;
  for (const name of LIMIT_NAMES) limits[name] = device.limits[name];
  return {
    device,
    adapter,
    info: summariseAdapter(adapter),
    limits,
    hasTimestampQuery,
    lost: device.lost,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
