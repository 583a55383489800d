/**
 * Sample radiographs a visitor with none at hand can open with one click:
 * fractured FracAtlas images from the demo model's validation split (never
 * trained on). The files are not in the repository: tools/vite-samples.ts
 * serves them from the shared data folder (SKELEX_DATA or ../shared/data) in
 * development and copies them into the production build; where that folder
 * is missing, the build has no samples and the page offers none.
 */
export interface Sample {
  /** The file name in FracAtlas' images/ folder, and under samples/ in the app. */
  file: string;
  /** What the button says. */
  title: string;
}

export const SAMPLES: readonly Sample[] = [
  { file: 'IMG0001380.jpg', title: 'Hand, fractured' },
  { file: 'IMG0003685.jpg', title: 'Leg, fractured' },
  { file: 'IMG0002550.jpg', title: 'Hip, fractured' },
  { file: 'IMG0002620.jpg', title: 'Shoulder, fractured' },
];

/** The attribution FracAtlas' licence (CC BY 4.0) asks for. */
export const SAMPLE_CREDIT =
  'Samples from FracAtlas: Abedeen I, Rahman MA, Prottyasha FZ, Ahmed T, Chowdhury TM, Shatabda S. ' +
  'FracAtlas: A Dataset for Fracture Classification, Localization and Segmentation of ' +
  'Musculoskeletal Radiographs. Scientific Data 10, 521 (2023). doi:10.1038/s41597-023-02432-4. ' +
  'CC BY 4.0.';

/** The app-relative folder the samples are served from; its index.json lists those present. */
export const SAMPLES_FOLDER = 'samples/';
