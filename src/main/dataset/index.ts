/** Public API of the dataset layer (wired by the lead to the contract, CLI and UI). */
export { openDataset, imagesDirFor, type Dataset, type OpenOptions } from './db';
export { DatasetError, type DatasetErrorCode } from './errors';
export { SCHEMA_VERSION } from './migrations';
export { datasetStats } from './stats';
export { labelStack, focusCurveOf, type LabelOptions } from './labelling';
export { recordAutofocusRun } from './hardExample';
export { exportDataset, MANIFEST_COLUMNS, type ExportOptions, type ExportSummary } from './export/exportDataset';
export { exportStackOmeTiff } from './export/stackOmeTiff';
export { importDataset, type ImportOptions, type ImportSummary } from './import/importDataset';
export { DEFAULT_FILENAME_PATTERN } from './import/filenames';
export { DEFAULT_ENCODE, type EncodeOptions } from './codec';
export { upsertSetup, getSetup, listSetups } from './repo/setups';
export { createSlide, getSlide, listSlides, getOrCreateSlide } from './repo/slides';
export { listStacks, getStack, decideStack } from './repo/stacks';
export { listImages } from './repo/images';
export { listRuns, getRun } from './repo/runs';
export { listAutofocusRuns } from './repo/autofocus';
export { upsertModel, listModels } from './repo/models';
