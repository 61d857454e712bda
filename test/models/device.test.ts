import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { chooseDevice } from '../../src/models/device.ts'

const linux = { platform: 'linux' as const, arch: 'x64', cudaProviderInstalled: false }
const linuxCuda = { ...linux, cudaProviderInstalled: true }
const mac = { platform: 'darwin' as const, arch: 'arm64', cudaProviderInstalled: false }

describe('chooseDevice', () => {
  it('should pick cuda automatically only when its provider is installed', () => {
    assert.equal(chooseDevice('auto', linux).device, 'cpu')
    assert.match(chooseDevice('auto', linux).reason, /no GPU provider/)
    assert.equal(chooseDevice('auto', linuxCuda).device, 'cuda')
    assert.equal(chooseDevice('auto', mac).device, 'coreml')
  })

  it('should fall back to cpu with the reason when an explicit device cannot work', () => {
    const cuda = chooseDevice('cuda', linux)
    assert.equal(cuda.device, 'cpu')
    assert.match(
      cuda.reason,
      /CUDA provider is not installed.*ONNXRUNTIME_NODE_INSTALL=cuda12 node script\/install/,
    )
    assert.match(chooseDevice('cuda', mac).reason, /no CUDA build for darwin/)
    assert.match(chooseDevice('coreml', linux).reason, /only exists on macOS/)
    assert.equal(chooseDevice('cpu', linuxCuda).device, 'cpu')
  })
})
