/**
 * The pack's learned fusion models, run inside an inference worker: the temporal fusion (window
 * logits, valence, arousal) and the cross-modal attention head (valence, arousal; paper 2). Both take
 * the tensors the fusion stage builds (FusionInput). Requests of several streams go in one run when
 * their sequences have the same length (the usual case: same window length and history); others run
 * in their own group, so no padding ever reaches a model.
 */
import type { FusionModelSpec, LoadedManifest } from './manifest.js';
import { readVerifiedModel } from './manifest.js';
import { createSession, floatOutput, ort, runSession, type SessionSettings } from './ort-session.js';
import type { FusionInput } from '../core/fusion-layout.js';

export interface FusionModelOutput {
  /** From the temporal fusion model, when the pack has one. */
  readonly logits: Float32Array | null;
  /** From the cross-modal attention head when the pack has one, else from the temporal model. */
  readonly valence: number | null;
  readonly arousal: number | null;
}

interface Runner {
  readonly spec: FusionModelSpec;
  readonly session: ort.InferenceSession;
}

export class FusionModels {
  readonly #temporal: Runner | undefined;
  readonly #crossModal: Runner | undefined;

  private constructor(temporal: Runner | undefined, crossModal: Runner | undefined) {
    this.#temporal = temporal;
    this.#crossModal = crossModal;
  }

  /** Undefined when the pack declares no fusion model. */
  static async create(pack: LoadedManifest, settings: SessionSettings): Promise<FusionModels | undefined> {
    const { temporalFusion, crossModalAttention } = pack.manifest.models.fusion ?? {};
    if (!temporalFusion && !crossModalAttention) return undefined;
    const load = async (spec: FusionModelSpec | undefined): Promise<Runner | undefined> =>
      spec ? { spec, session: await createSession(readVerifiedModel(pack.pathOf(spec), spec.sha256), spec.file, settings) } : undefined;
    return new FusionModels(await load(temporalFusion), await load(crossModalAttention));
  }

  async run(items: readonly FusionInput[]): Promise<FusionModelOutput[]> {
    const results = new Array<FusionModelOutput>(items.length);
    const groups = new Map<string, number[]>();
    items.forEach((item, i) => {
      const key = `${item.steps}/${item.faceDims}/${item.voiceDims}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    for (const indices of groups.values()) {
      const group = indices.map((i) => items[i]!);
      const temporal = this.#temporal ? await runModel(this.#temporal, group) : undefined;
      const crossModal = this.#crossModal ? await runModel(this.#crossModal, group) : undefined;
      indices.forEach((itemIndex, b) => {
        const va = crossModal ?? temporal;
        results[itemIndex] = {
          logits: temporal?.logits ? temporal.logits.slice(b * 8, (b + 1) * 8) : null,
          valence: va ? va.valence[b]! : null,
          arousal: va ? va.arousal[b]! : null,
        };
      });
    }
    return results;
  }
}

async function runModel(runner: Runner, group: readonly FusionInput[]): Promise<{ logits: Float32Array | null; valence: Float32Array; arousal: Float32Array }> {
  const { spec } = runner;
  const first = group[0]!;
  const b = group.length;
  const t = first.steps;
  const stack = (pick: (x: FusionInput) => Float32Array, dims: number[]) => {
    const size = dims.slice(1).reduce((x, y) => x * y, 1);
    const data = new Float32Array(b * size);
    group.forEach((x, i) => data.set(pick(x), i * size));
    return new ort.Tensor('float32', data, dims);
  };
  const outputs = await runSession(runner.session, spec.file, {
    [spec.inputs.face]: stack((x) => x.face, [b, t, first.faceDims]),
    [spec.inputs.voice]: stack((x) => x.voice, [b, t, first.voiceDims]),
    [spec.inputs.weights]: stack((x) => x.weights, [b, t, 2]),
    [spec.inputs.current]: stack((x) => x.current, [b, t]),
  });
  return {
    logits: spec.outputs.logits ? floatOutput(outputs, spec.outputs.logits) : null,
    valence: floatOutput(outputs, spec.outputs.valence),
    arousal: floatOutput(outputs, spec.outputs.arousal),
  };
}
