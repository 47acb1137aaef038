/**
 * RxJS adapter around the Windower core: ingest items in, closed windows out. The source's track
 * layout (its first item) creates the windower; end of stream and errors flush what is open first.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { IngestItem } from '../ingest/gst-source.js';
import type { TrackLayout } from '../ingest/media-types.js';
import { Windower, type MediaWindow, type WindowerOptions } from './windower.js';

export function windowMedia(options: Omit<WindowerOptions, 'layout'>, onLayout?: (layout: TrackLayout) => void): OperatorFunction<IngestItem, MediaWindow> {
  return (source) =>
    new Observable<MediaWindow>((subscriber) => {
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
          subscriber.error(err);
        },
        complete() {
          flush();
          subscriber.complete();
        },
      });
    });
}
