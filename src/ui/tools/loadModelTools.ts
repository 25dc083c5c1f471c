// The one dynamic import of the model-tools module (ONNX Runtime Web and the engine): the bundler splits
// it into its own chunk, fetched the first time a tool is used, never with the page.
export const loadModelTools = () => import('./modelTools');
