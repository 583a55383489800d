/**
 * The viewer's controller: owns the cornerstone-enabled element, the mouse gestures on
 * it, and the reactive view state (window, zoom, invert, pixel under the cursor).
 */
import type { LookupTable, Radiograph } from '../../lib/imaging/radiograph';
import { cornerstone, IMAGE_RENDERED, type Viewport } from './cornerstone';
import { forgetRadiograph, provideRadiograph, registerSkelexLoader } from './image-loader';
import { autoWindow, probe, type PixelProbe, type Window } from './windowing';

const MIN_SCALE = 0.02;
const MAX_SCALE = 64;

type Drag = { mode: 'window' | 'pan' | 'box'; x: number; y: number; pointerId: number };

/** A rectangle in the image's own pixels. */
export interface ImageBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A drawn box smaller than this (image pixels a side) is taken for a click and dropped. */
const MIN_BOX = 8;

export class ViewerController {
  /** True once an image is on screen. */
  hasImage = $state(false);
  windowCenter = $state(0);
  windowWidth = $state(0);
  invert = $state(false);
  scale = $state(1);
  /** The VOI LUT in use instead of the linear window, if any. */
  voiLut = $state.raw<LookupTable | undefined>(undefined);
  probe = $state.raw<PixelProbe | undefined>(undefined);
  radiograph = $state.raw<Radiograph | undefined>(undefined);
  /** Counts draws; lets tests and callers wait for the next frame on screen. */
  renders = $state(0);
  /** While true, a left drag draws a box on the image instead of windowing. */
  drawing = $state(false);
  /** The box being drawn, in image pixels. */
  draft = $state.raw<ImageBox | undefined>(undefined);
  /** Called with each finished box. */
  onBoxDrawn: ((box: ImageBox) => void) | undefined;
  #boxStart: { x: number; y: number } | undefined;

  #element: HTMLElement | undefined;
  #resize: ResizeObserver | undefined;
  #drag: Drag | undefined;
  #token = 0;
  #detach: (() => void) | undefined;

  attach(element: HTMLElement): void {
    registerSkelexLoader();
    cornerstone.enable(element);
    this.#element = element;
    const sync = () => this.#sync();
    const down = (e: PointerEvent) => this.#pointerDown(e);
    const move = (e: PointerEvent) => this.#pointerMove(e);
    const up = (e: PointerEvent) => this.#pointerUp(e);
    const leave = () => (this.probe = undefined);
    const wheel = (e: WheelEvent) => this.#wheel(e);
    const menu = (e: Event) => e.preventDefault();
    element.addEventListener(IMAGE_RENDERED, sync);
    element.addEventListener('pointerdown', down);
    element.addEventListener('pointermove', move);
    element.addEventListener('pointerup', up);
    element.addEventListener('pointercancel', up);
    element.addEventListener('pointerleave', leave);
    element.addEventListener('wheel', wheel, { passive: false });
    element.addEventListener('contextmenu', menu);
    this.#resize = new ResizeObserver(() => {
      if (this.#element) cornerstone.resize(this.#element, false);
    });
    this.#resize.observe(element);
    this.#detach = () => {
      element.removeEventListener(IMAGE_RENDERED, sync);
      element.removeEventListener('pointerdown', down);
      element.removeEventListener('pointermove', move);
      element.removeEventListener('pointerup', up);
      element.removeEventListener('pointercancel', up);
      element.removeEventListener('pointerleave', leave);
      element.removeEventListener('wheel', wheel);
      element.removeEventListener('contextmenu', menu);
    };
  }

  detach(): void {
    this.#resize?.disconnect();
    this.#detach?.();
    if (this.#element) cornerstone.disable(this.#element);
    this.#element = undefined;
    this.hasImage = false;
  }

  /**
   * Shows a decoded image. With `keepView` (another frame of the same file) the zoom,
   * pan, window and invert stay as they are.
   */
  async show(radiograph: Radiograph, key: string, keepView = false): Promise<void> {
    const element = this.#element;
    if (!element) return;
    const token = ++this.#token;
    const imageId = provideRadiograph(key, radiograph);
    try {
      const image = await cornerstone.loadImage(imageId);
      if (token !== this.#token || this.#element !== element) return;
      const previous = keepView && this.hasImage ? cornerstone.getViewport(element) : undefined;
      const viewport = cornerstone.getDefaultViewportForImage(element, image);
      if (previous) {
        viewport.scale = previous.scale;
        viewport.translation = previous.translation;
        viewport.voi = previous.voi;
        viewport.invert = previous.invert;
        viewport.voiLUT = previous.voiLUT;
      }
      this.radiograph = radiograph;
      this.probe = undefined;
      if (!previous) this.voiLut = undefined;
      cornerstone.displayImage(element, image, viewport);
      this.hasImage = true;
    } finally {
      forgetRadiograph(imageId);
    }
  }

  /** Clears the view (the image shown was closed). */
  clear(): void {
    this.#token++;
    if (this.#element) {
      cornerstone.disable(this.#element);
      cornerstone.enable(this.#element);
    }
    this.radiograph = undefined;
    this.hasImage = false;
    this.probe = undefined;
  }

  setWindow(window: Window): void {
    this.#update({
      voi: { windowCenter: window.center, windowWidth: Math.max(window.width, 1) },
      voiLUT: undefined,
    });
  }

  useVoiLut(table: LookupTable): void {
    this.#update({
      voiLUT: {
        firstValueMapped: table.firstValueMapped,
        numBitsPerEntry: table.bitsPerEntry,
        lut: table.data,
      },
    });
    this.voiLut = table;
  }

  /** Window over the 0.5th to 99.5th percentile of the image's values. */
  autoWindow(): void {
    if (this.radiograph) this.setWindow(autoWindow(this.radiograph));
  }

  toggleInvert(): void {
    const viewport = this.#viewport();
    if (viewport) this.#update({ invert: !viewport.invert });
  }

  fit(): void {
    if (this.#element && this.hasImage) cornerstone.fitToWindow(this.#element);
  }

  /** Back to how the image first appeared: fitted, default window, default polarity. */
  reset(): void {
    if (this.#element && this.hasImage) cornerstone.reset(this.#element);
  }

  // ---- Hook-up for layers drawn over the image (the analysis overlay) ----

  /**
   * Where the image lies on cornerstone's canvas now: the affine map from image pixels
   * (pixel i covers [i, i + 1)) to canvas pixels, and the canvas size; undefined
   * without an image. Derived from canvasToPixel, so pan, zoom, flips and rotation agree.
   */
  layerTransform(): { matrix: DOMMatrix; width: number; height: number } | undefined {
    const element = this.#element;
    if (!element || !this.hasImage) return undefined;
    const { canvas } = cornerstone.getEnabledElement(element);
    const o = cornerstone.canvasToPixel(element, { x: 0, y: 0 });
    const ax = cornerstone.canvasToPixel(element, { x: 1, y: 0 });
    const ay = cornerstone.canvasToPixel(element, { x: 0, y: 1 });
    const toImage = new DOMMatrix([ax.x - o.x, ax.y - o.y, ay.x - o.x, ay.y - o.y, o.x, o.y]);
    return { matrix: toImage.inverse(), width: canvas.width, height: canvas.height };
  }

  // ---- end of the overlay hook-up ----

  #viewport(): Viewport | undefined {
    return this.#element && this.hasImage ? cornerstone.getViewport(this.#element) : undefined;
  }

  #update(change: Partial<Viewport>): void {
    const viewport = this.#viewport();
    if (!viewport || !this.#element) return;
    cornerstone.setViewport(this.#element, { ...viewport, ...change });
  }

  #sync(): void {
    const viewport = this.#viewport();
    if (!viewport) return;
    this.windowCenter = viewport.voi.windowCenter;
    this.windowWidth = viewport.voi.windowWidth;
    this.invert = viewport.invert;
    this.scale = viewport.scale;
    this.renders++;
    if (!viewport.voiLUT) this.voiLut = undefined;
    else if (!this.voiLut) this.voiLut = this.radiograph?.voiLuts[0];
  }

  #pointerDown(e: PointerEvent): void {
    if (!this.hasImage || !this.#element) return;
    const pan = e.button === 1 || e.button === 2 || (e.button === 0 && e.shiftKey);
    if (e.button !== 0 && !pan) return;
    e.preventDefault();
    this.#element.setPointerCapture(e.pointerId);
    const box = this.drawing && e.button === 0 && !e.shiftKey;
    if (box) this.#boxStart = this.#imagePoint(e);
    this.#drag = {
      mode: box ? 'box' : pan ? 'pan' : 'window',
      x: e.clientX,
      y: e.clientY,
      pointerId: e.pointerId,
    };
  }

  #pointerMove(e: PointerEvent): void {
    const element = this.#element;
    if (!element || !this.hasImage) return;
    const drag = this.#drag;
    if (drag && drag.pointerId === e.pointerId) {
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      drag.x = e.clientX;
      drag.y = e.clientY;
      if (drag.mode === 'pan') this.#pan(dx, dy);
      else if (drag.mode === 'box') this.draft = this.#boxTo(this.#imagePoint(e));
      else this.#windowBy(dx, dy);
    }
    const r = this.radiograph;
    if (r) {
      const rect = element.getBoundingClientRect();
      const point = cornerstone.canvasToPixel(element, {
        x: e.clientX - rect.left,
        y: e.clientY - rect.top,
      });
      this.probe = probe(r, point.x, point.y);
    }
  }

  #pointerUp(e: PointerEvent): void {
    if (this.#drag?.pointerId !== e.pointerId) return;
    if (this.#drag.mode === 'box') {
      const box = this.#boxTo(this.#imagePoint(e));
      this.draft = undefined;
      this.drawing = false;
      if (box && box.width >= MIN_BOX && box.height >= MIN_BOX) this.onBoxDrawn?.(box);
    }
    this.#drag = undefined;
    if (this.#element?.hasPointerCapture(e.pointerId))
      this.#element.releasePointerCapture(e.pointerId);
  }

  /** Where a pointer event falls on the image, in image pixels (may lie outside it). */
  #imagePoint(e: PointerEvent): { x: number; y: number } {
    const rect = this.#element!.getBoundingClientRect();
    return cornerstone.canvasToPixel(this.#element!, {
      x: e.clientX - rect.left,
      y: e.clientY - rect.top,
    });
  }

  /** The box from where the drag began to `point`, clipped to the image, in whole pixels. */
  #boxTo(point: { x: number; y: number }): ImageBox | undefined {
    const r = this.radiograph;
    const start = this.#boxStart;
    if (!r || !start) return undefined;
    const clip = (v: number, max: number) => Math.min(max, Math.max(0, Math.round(v)));
    const x0 = clip(Math.min(start.x, point.x), r.width);
    const y0 = clip(Math.min(start.y, point.y), r.height);
    const x1 = clip(Math.max(start.x, point.x), r.width);
    const y1 = clip(Math.max(start.y, point.y), r.height);
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }

  /** Right widens the window, down raises its centre; the step follows the image's value range. */
  #windowBy(dx: number, dy: number): void {
    const viewport = this.#viewport();
    const r = this.radiograph;
    if (!viewport || !r) return;
    const range = Math.max(1, (r.maxStored - r.minStored) * Math.abs(r.rescaleSlope));
    const step = range / 512;
    this.#update({
      voi: {
        windowWidth: Math.max(1, viewport.voi.windowWidth + dx * step),
        windowCenter: viewport.voi.windowCenter + dy * step,
      },
      voiLUT: undefined,
    });
  }

  #pan(dx: number, dy: number): void {
    const viewport = this.#viewport();
    if (!viewport) return;
    this.#update({
      translation: {
        x: viewport.translation.x + dx / viewport.scale,
        y: viewport.translation.y + dy / viewport.scale,
      },
    });
  }

  /** Zooms about the cursor, so the point under it stays put. */
  #wheel(e: WheelEvent): void {
    const viewport = this.#viewport();
    const element = this.#element;
    if (!viewport || !element) return;
    e.preventDefault();
    const lines = e.deltaMode === WheelEvent.DOM_DELTA_LINE ? 33 : 1;
    const factor = Math.pow(2, (-e.deltaY * lines) / 500);
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, viewport.scale * factor));
    const rect = element.getBoundingClientRect();
    const cx = e.clientX - rect.left - rect.width / 2;
    const cy = e.clientY - rect.top - rect.height / 2;
    const shift = 1 / scale - 1 / viewport.scale;
    this.#update({
      scale,
      translation: {
        x: viewport.translation.x + cx * shift,
        y: viewport.translation.y + cy * shift,
      },
    });
  }
}
