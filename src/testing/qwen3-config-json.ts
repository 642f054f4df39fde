import { FIXTURE_GENERATOR_VERSION } from "./fixture-generator-version.js";
import type { Qwen3Dims } from "./fixture-shapes.js";

/** Qwen3's special ids (tokenizer.json): `<|endoftext|>` is BOS and pad, `<|im_end|>` is EOS. */
export const QWEN3_SPECIAL_IDS = Object.freeze({ endoftext: 151643, imStart: 151644, imEnd: 151645 });

/**
 * The `config.json` of a fixture: Qwen3-0.6B's field set (huggingface.co/Qwen/Qwen3-0.6B) with the fixture's
 * dimensions, plus `kvcdn_fixture` (shape, seed, generator version) so two seeds never share a config hash, and
 * `transformers.js_config.use_external_data_format` when the ONNX weights live in `model.onnx_data`.
 */
export function qwen3ConfigJson(params: {
  dims: Qwen3Dims;
  shapeName: string;
  seed: number;
  externalData: boolean;
  /** Builder layout: the variants written and the rotary mode, recorded in `kvcdn_fixture`. */
  builder?: { variants: readonly string[]; rotary: string; externalDataFiles: readonly string[] };
}): Record<string, unknown> {
  const { dims } = params;
  const config: Record<string, unknown> = {
    architectures: ["Qwen3ForCausalLM"],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: QWEN3_SPECIAL_IDS.endoftext,
    eos_token_id: QWEN3_SPECIAL_IDS.imEnd,
    head_dim: dims.head_dim,
    hidden_act: "silu",
    hidden_size: dims.hidden_size,
    initializer_range: 0.02,
    intermediate_size: dims.intermediate_size,
    max_position_embeddings: dims.max_position_embeddings,
    max_window_layers: dims.num_hidden_layers,
    model_type: "qwen3",
    num_attention_heads: dims.num_attention_heads,
    num_hidden_layers: dims.num_hidden_layers,
    num_key_value_heads: dims.num_key_value_heads,
    rms_norm_eps: dims.rms_norm_eps,
    rope_scaling: null,
    rope_theta: dims.rope_theta,
    sliding_window: null,
    tie_word_embeddings: true,
    // The weights are bf16 values: model.safetensors stores them as BF16, the ONNX graph widens them to f32 exactly.
    torch_dtype: "bfloat16",
    transformers_version: "4.51.0",
    use_cache: true,
    use_sliding_window: false,
    vocab_size: dims.vocab_size,
    kvcdn_fixture: {
      shape: params.shapeName,
      seed: params.seed,
      generator_version: FIXTURE_GENERATOR_VERSION,
      ...(params.builder === undefined ? {} : { layout: "builder", variants: params.builder.variants, rotary: params.builder.rotary }),
    },
  };
  if (params.builder !== undefined) {
    // transformers.js reads the flag per graph file name (`model_fp16.onnx`), so only the variants with a data file
    // load one; a single-file q4f16 graph must not look for `model_q4f16.onnx_data`.
    if (params.builder.externalDataFiles.length > 0) {
      config["transformers.js_config"] = {
        use_external_data_format: Object.fromEntries(params.builder.externalDataFiles.map((f) => [f, true])),
      };
    }
  } else if (params.externalData) config["transformers.js_config"] = { use_external_data_format: true };
  return config;
}

/** Qwen3-0.6B's `generation_config.json` (sampling defaults that greedy callers override). */
export function qwen3GenerationConfigJson(): Record<string, unknown> {
  return {
    bos_token_id: QWEN3_SPECIAL_IDS.endoftext,
    do_sample: true,
    eos_token_id: [QWEN3_SPECIAL_IDS.imEnd, QWEN3_SPECIAL_IDS.endoftext],
    pad_token_id: QWEN3_SPECIAL_IDS.endoftext,
    temperature: 0.6,
    top_k: 20,
    top_p: 0.95,
    transformers_version: "4.51.0",
  };
}
