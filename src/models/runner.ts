/**
 * Runs one text model inside the inference thread: tokenizes, truncates and reports truncation,
 * builds padded tensors, runs ONNX Runtime through transformers.js and pools. Loaded only by
 * thread.ts, so the main thread never imports transformers.js.
 */
import {
  AutoModel,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  env,
  LogLevel,
  Tensor,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers'
import type { Pooling, ResolvedDevice } from './embedder.ts'
import { pool } from './pooling.ts'
import type { LoadSpec, LoadedModel } from './thread-protocol.ts'

export interface Tokenized {
  readonly ids: readonly number[]
  readonly inputTokens: number
  readonly truncated: boolean
}

export interface TextModel {
  readonly info: LoadedModel
  tokenize(texts: readonly string[]): Tokenized[]
  /** Embeds already tokenized inputs, one vector per input. */
  run(inputs: readonly Tokenized[]): Promise<Float32Array[]>
  dispose(): Promise<void>
}

export async function loadTextModel(spec: LoadSpec): Promise<TextModel> {
  const started = performance.now()
  const rssBefore = process.memoryUsage.rss()
  configureEnv(spec)
  const tokenizer = await AutoTokenizer.from_pretrained(spec.repo)
  const { model, device, fallbackReason } = await loadWithFallback(spec)
  const maxTokens = maxTokensOf(tokenizer, model, spec)
  const runner = createRunner(tokenizer, model, spec, maxTokens)
  // A warm-up embedding proves the model works before the worker reports it loaded (and gives the dimension).
  const [probe] = await runner.run(runner.tokenize(['warm-up']))
  const info: LoadedModel = {
    dimensions: probe!.length,
    maxTokens,
    device,
    ...(fallbackReason && { fallbackReason }),
    loadMs: performance.now() - started,
    memoryBytes: Math.max(0, process.memoryUsage.rss() - rssBefore),
  }
  return {
    ...runner,
    info,
    dispose: async () => {
      await model.dispose()
    },
  }
}

function configureEnv(spec: LoadSpec): void {
  env.allowLocalModels = true
  env.localModelPath = spec.root
  env.allowRemoteModels = spec.allowRemote
  env.cacheDir = spec.cacheDir
  env.logLevel = LogLevel.ERROR
}

async function loadWithFallback(
  spec: LoadSpec,
): Promise<{ model: PreTrainedModel; device: ResolvedDevice; fallbackReason?: string }> {
  try {
    return { model: await loadModel(spec, spec.device), device: spec.device }
  } catch (err) {
    if (spec.device === 'cpu') throw err
    const reason = `${spec.device} failed to start (${(err as Error).message}); using cpu`
    return { model: await loadModel(spec, 'cpu'), device: 'cpu', fallbackReason: reason }
  }
}

async function loadModel(spec: LoadSpec, device: ResolvedDevice): Promise<PreTrainedModel> {
  const Model = spec.family === 'clip' ? CLIPTextModelWithProjection : AutoModel
  const threads = spec.threads > 0 ? spec.threads : undefined
  return Model.from_pretrained(spec.repo, {
    dtype: spec.dtype,
    device,
    session_options: {
      ...(threads && { intraOpNumThreads: threads }),
      interOpNumThreads: 1,
      // Idle ORT threads busy-wait by default, taking CPU the main thread needs on a small machine
      // (measured under load: 63k tokens/s spinning, 108k without).
      extra: { session: { intra_op: { allow_spinning: spec.allowSpinning ? '1' : '0' } } },
    },
  })
}

/** The smallest of what the tokenizer, the model config and the catalog allow. */
function maxTokensOf(
  tokenizer: PreTrainedTokenizer,
  model: PreTrainedModel,
  spec: LoadSpec,
): number {
  const config = model.config as unknown as Record<string, unknown>
  const textConfig = (config.text_config ?? {}) as Record<string, unknown>
  const positions = Number(
    textConfig.max_position_embeddings ?? config.max_position_embeddings ?? Infinity,
  )
  // RoBERTa-style models reserve two position slots for the padding offset.
  const usable =
    config.model_type === 'roberta' || config.model_type === 'xlm-roberta'
      ? positions - 2
      : positions
  const tokenizerMax = tokenizer.model_max_length as number
  const limits = [tokenizerMax, usable, spec.maxTokens ?? Infinity].filter(
    (n) => Number.isFinite(n) && n > 0,
  )
  return limits.length > 0 ? Math.min(...limits) : 512
}

function createRunner(
  tokenizer: PreTrainedTokenizer,
  model: PreTrainedModel,
  spec: LoadSpec,
  maxTokens: number,
) {
  const special = new Set<number>(tokenizer.all_special_ids)
  const padId = tokenizer.pad_token_id ?? 0
  return {
    tokenize(texts: readonly string[]): Tokenized[] {
      const encoded = tokenizer(texts as string[], {
        padding: false,
        truncation: false,
        return_tensor: false,
      }) as {
        input_ids: number[][]
      }
      return encoded.input_ids.map((ids) => truncate(ids, maxTokens, special))
    },
    async run(inputs: readonly Tokenized[]): Promise<Float32Array[]> {
      const { input_ids, attention_mask, lengths } = padBatch(inputs, padId)
      const output = (await model({ input_ids, attention_mask })) as Record<string, Tensor>
      try {
        return extract(
          output,
          lengths,
          spec.family === 'clip' ? null : spec.pooling,
          spec.normalize,
        )
      } finally {
        input_ids.dispose()
        attention_mask.dispose()
        for (const t of Object.values(output)) t.dispose()
      }
    },
  }
}

/** Keeps the closing special token ([SEP], </s>, <|endoftext|>) when cutting, as Python tokenizers do. */
export function truncate(
  ids: readonly number[],
  max: number,
  special: ReadonlySet<number>,
): Tokenized {
  if (ids.length <= max) return { ids, inputTokens: ids.length, truncated: false }
  const last = ids[ids.length - 1]!
  const kept = special.has(last) ? [...ids.slice(0, max - 1), last] : ids.slice(0, max)
  return { ids: kept, inputTokens: ids.length, truncated: true }
}

function padBatch(inputs: readonly Tokenized[], padId: number) {
  const seq = Math.max(...inputs.map((x) => x.ids.length))
  const ids = new BigInt64Array(inputs.length * seq).fill(BigInt(padId))
  const mask = new BigInt64Array(inputs.length * seq)
  inputs.forEach((input, b) => {
    input.ids.forEach((id, t) => {
      ids[b * seq + t] = BigInt(id)
      mask[b * seq + t] = 1n
    })
  })
  const dims = [inputs.length, seq]
  return {
    input_ids: new Tensor('int64', ids, dims),
    attention_mask: new Tensor('int64', mask, dims),
    lengths: inputs.map((x) => x.ids.length),
  }
}

function extract(
  output: Record<string, Tensor>,
  lengths: number[],
  pooling: Pooling | null,
  normalize: boolean,
): Float32Array[] {
  if (pooling === null) {
    // CLIP: the projection is part of the graph; only normalisation is ours.
    const embeds = output.text_embeds!
    const [batch, dim] = embeds.dims as [number, number]
    const states = { data: embeds.data as Float32Array, batch, seq: 1, hidden: dim }
    return pool(
      states,
      lengths.map(() => 1),
      'cls',
      normalize,
    )
  }
  const hidden = output.last_hidden_state ?? Object.values(output)[0]!
  const [batch, seq, dim] = hidden.dims as [number, number, number]
  return pool(
    { data: hidden.data as Float32Array, batch, seq, hidden: dim },
    lengths,
    pooling,
    normalize,
  )
}
