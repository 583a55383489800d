/**
 * Typed face of the part of cornerstone-core (an untyped UMD package) this app uses.
 * Everything else in src/ui talks to cornerstone through this module.
 */
import cornerstoneModule from 'cornerstone-core';

export interface Voi {
  windowWidth: number;
  windowCenter: number;
}

/** A non-linear lookup table as cornerstone applies it. */
export interface CornerstoneLut {
  firstValueMapped: number;
  numBitsPerEntry: number;
  lut: ArrayLike<number>;
}

export interface CornerstoneImage {
  imageId: string;
  minPixelValue: number;
  maxPixelValue: number;
  slope: number;
  intercept: number;
  windowCenter: number;
  windowWidth: number;
  getPixelData: () => ArrayLike<number>;
  rows: number;
  columns: number;
  height: number;
  width: number;
  color: boolean;
  rgba: boolean;
  invert: boolean;
  columnPixelSpacing?: number;
  rowPixelSpacing?: number;
  sizeInBytes: number;
  voiLUT?: CornerstoneLut;
  modalityLUT?: CornerstoneLut;
}

export interface Viewport {
  scale: number;
  translation: { x: number; y: number };
  voi: Voi;
  invert: boolean;
  pixelReplication: boolean;
  rotation: number;
  hflip: boolean;
  vflip: boolean;
  modalityLUT?: CornerstoneLut;
  voiLUT?: CornerstoneLut;
}

export interface Point {
  x: number;
  y: number;
}

export interface ImageLoadObject {
  promise: Promise<CornerstoneImage>;
  cancelFn?: () => void;
}

export type ImageLoader = (imageId: string) => ImageLoadObject;

export interface EnabledElement {
  element: HTMLElement;
  canvas: HTMLCanvasElement;
  image?: CornerstoneImage;
  viewport?: Viewport;
}

interface CornerstoneApi {
  enable(element: HTMLElement, options?: Record<string, unknown>): void;
  disable(element: HTMLElement): void;
  registerImageLoader(scheme: string, loader: ImageLoader): void;
  loadImage(imageId: string): Promise<CornerstoneImage>;
  displayImage(element: HTMLElement, image: CornerstoneImage, viewport?: Partial<Viewport>): void;
  getViewport(element: HTMLElement): Viewport | undefined;
  setViewport(element: HTMLElement, viewport: Partial<Viewport>): void;
  getDefaultViewportForImage(element: HTMLElement, image: CornerstoneImage): Viewport;
  getEnabledElement(element: HTMLElement): EnabledElement;
  fitToWindow(element: HTMLElement): void;
  reset(element: HTMLElement): void;
  resize(element: HTMLElement, forceFitToWindow?: boolean): void;
  canvasToPixel(element: HTMLElement, point: Point): Point;
  updateImage(element: HTMLElement, invalidated?: boolean): void;
  EVENTS: { IMAGE_RENDERED: string };
}

export const cornerstone = cornerstoneModule as CornerstoneApi;

/** Fired on the enabled element after every draw. */
export const IMAGE_RENDERED: string = cornerstone.EVENTS.IMAGE_RENDERED;
