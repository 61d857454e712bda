/**
 * Chooses the inference device. `auto` picks CUDA only when onnxruntime-node's CUDA provider
 * library is installed (it is fetched at install time and skipped on CPU machines), CoreML on
 * macOS, else CPU. An explicit device that cannot work falls back to CPU, with the reason logged:
 * transformers.js v4 fails hard instead (huggingface/transformers.js#1642).
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Device, ResolvedDevice } from './embedder.ts'

export interface DeviceChoice {
  readonly device: ResolvedDevice
  readonly reason: string
}

export interface Platform {
  readonly platform: NodeJS.Platform
  readonly arch: string
  readonly cudaProviderInstalled: boolean
}

export function currentPlatform(): Platform {
  return {
    platform: process.platform,
    arch: process.arch,
    cudaProviderInstalled: cudaProviderInstalled(),
  }
}

function cudaProviderInstalled(): boolean {
  try {
    const require = createRequire(import.meta.url)
    const root = dirname(require.resolve('onnxruntime-node/package.json'))
    return existsSync(
      join(root, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'),
    )
  } catch {
    return false
  }
}

export function chooseDevice(requested: Device, p: Platform): DeviceChoice {
  const cuda = p.platform === 'linux' && p.arch === 'x64'
  const coreml = p.platform === 'darwin'
  switch (requested) {
    case 'cpu':
      return { device: 'cpu', reason: 'cpu requested' }
    case 'cuda':
      if (!cuda)
        return {
          device: 'cpu',
          reason: `cuda requested but onnxruntime-node has no CUDA build for ${p.platform}-${p.arch}; using cpu`,
        }
      if (!p.cudaProviderInstalled) {
        return {
          device: 'cpu',
          reason:
            'cuda requested but the onnxruntime CUDA provider is not installed (in node_modules/onnxruntime-node run `ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install`; README: Quick start); using cpu',
        }
      }
      return { device: 'cuda', reason: 'cuda requested and the CUDA provider is installed' }
    case 'coreml':
      if (!coreml)
        return {
          device: 'cpu',
          reason: `coreml requested but it only exists on macOS (this is ${p.platform}); using cpu`,
        }
      return { device: 'coreml', reason: 'coreml requested on macOS' }
    case 'auto':
      if (cuda && p.cudaProviderInstalled)
        return { device: 'cuda', reason: 'auto: the onnxruntime CUDA provider is installed' }
      if (coreml) return { device: 'coreml', reason: 'auto: macOS, CoreML available' }
      return {
        device: 'cpu',
        reason: `auto: no GPU provider installed for ${p.platform}-${p.arch}`,
      }
  }
}
