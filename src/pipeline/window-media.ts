/**
 * RxJS adapter around the Windower core: ingest items in, closed windows out. The source's track
 * layout (its first item) creates the windower. A source error travels in-band, after the windows
 * flushed before it, so the windows decoded before a failure are still analysed and reported.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { TrackLayout } from '../core/media.js';
import { toAffectStreamError, type AffectStreamError } from '../core/errors.js';
import { Windower, type MediaWindow, type WindowerOptions } from './windower.js';
import type { IngestItem } from '../core/media.js';

export interface SourceFailure {
  readonly kind: 'failure';
  readonly error: AffectStreamError;
}

export function windowMedia(options: Omit<WindowerOptions, 'layout'>, onLayout?: (layout: TrackLayout) => void): OperatorFunction<IngestItem, MediaWindow | SourceFailure> {
  return (source) =>
    new Observable<MediaWindow | SourceFailure>((subscriber) => {
      let windower: Windower | undefined;
      const flush = () => {
        for (const window of windower?.flush() ?? []) subscriber.next(window);
      };
      return source.subscribe({
        next(item) {
          if (item.kind === 'tracks') {
            windower = new Windower({ ...options, layout: item.layout });
            onLayout?.(item.layout);
            return;
          }
          for (const window of windower?.push(item) ?? []) subscriber.next(window);
        },
        error(err) {
          flush();
          subscriber.next({ kind: 'failure', error: toAffectStreamError(err) });
          subscriber.complete();
        },
        complete() {
          flush();
          subscriber.complete();
        },
      });
    });
}
