// Puts a trained fusion model into a model pack for the roles where, on the held-out windows, it is
// not worse than the parameter-free layer it would replace:
// - expression and valence/arousal (`temporalFusion`) when its macro-F1 (ABAW's expression score) and
//   its mean CCC of valence and arousal both hold up;
// - valence/arousal alone (`crossModalAttention`, the expression staying with the parameter-free
//   layer) when only its mean CCC does;
// - neither otherwise. Edits only `models.fusion` of the manifest.
//   node training/update-fusion-manifest.mjs RUN_DIR PACK_DIR
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const [run, pack] = process.argv.slice(2);
if (!run || !pack) {
  console.error('usage: node training/update-fusion-manifest.mjs RUN_DIR PACK_DIR');
  process.exit(2);
}
const metrics = JSON.parse(readFileSync(join(run, 'fusion-metrics.json'), 'utf8'));
const manifestPath = join(pack, 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const held = metrics.held_out;
if (!held) throw new Error(`${run}/fusion-metrics.json has no held-out comparison: nothing to decide on`);
const trained = held.trained_fusion;
const free = held.parameter_free;
const meanCcc = (s) => (s.ccc_valence + s.ccc_arousal) / 2;
const verdict = { trained: { macroF1: trained.macro_f1, accuracy: trained.accuracy, meanCcc: meanCcc(trained) }, parameterFree: { macroF1: free.macro_f1, accuracy: free.accuracy, meanCcc: meanCcc(free) } };
const role = meanCcc(trained) < meanCcc(free) ? null : trained.macro_f1 >= free.macro_f1 ? 'temporalFusion' : 'crossModalAttention';
delete manifest.models.fusion;
if (role === null) {
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(JSON.stringify({ accepted: false, reason: 'worse than the parameter-free layer on the held-out set', ...verdict }));
  process.exit(0);
}
for (const suffix of ['.onnx', '.parity.json']) copyFileSync(join(run, `temporal-fusion${suffix}`), join(pack, `temporal-fusion${suffix}`));
copyFileSync(join(run, 'fusion-metrics.json'), join(pack, 'temporal-fusion.metrics.json'));
const sha256 = createHash('sha256').update(readFileSync(join(pack, 'temporal-fusion.onnx'))).digest('hex');
const roleNote = role === 'temporalFusion' ? 'expression and valence/arousal' : 'valence/arousal only: its expression was below the parameter-free layer on the held-out windows, which keeps that role';
manifest.models.fusion = {
  [role]: {
    file: 'temporal-fusion.onnx',
    sha256,
    source: `trained by training/train-fusion.sh (training/affect_training/train_fusion.py, epoch ${metrics.chosen_epoch} of ${metrics.epochs}) on ${metrics.train_windows + metrics.pick_windows} windows dumped from the runtime's fusion inputs; used for ${roleNote}; see models/trained/README.md`,
    license: 'Trained on FER2013 (research and evaluation use) and RAVDESS (CC BY-NC-SA 4.0): non-commercial',
    inputs: { face: 'face', voice: 'voice', weights: 'weights', current: 'current' },
    outputs: role === 'temporalFusion' ? { logits: 'logits', valence: 'valence', arousal: 'arousal' } : { valence: 'valence', arousal: 'arousal' },
    faceFeatures: 10,
    voiceFeatures: 14,
    ...(role === 'temporalFusion' ? { speechEmbedding: false } : {}),
    history: 16,
  },
};
const fusionTerms = 'Fusion model: FER2013 terms and RAVDESS CC BY-NC-SA 4.0 (non-commercial).';
if (!manifest.license.includes(fusionTerms)) manifest.license = `${manifest.license} ${fusionTerms}`;
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(JSON.stringify({ accepted: true, role, sha256, ...verdict }));
