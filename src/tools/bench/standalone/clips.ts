/** The benchmarks' clips now live with the `bench` command (src/tools/bench/clips.ts); the scripts here share them. */
export { CACHE, RESULTS, ROOT, makeTalkingClip } from '../clips.js';
