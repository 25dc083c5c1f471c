// Entry of bench.html, the in-browser benchmark page (a second Vite entry, so the lab's first page load
// never carries it): our WebGPU engine vs ONNX Runtime Web on the same adapter.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BenchPage } from './BenchPage';
import '../styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('bench.html is missing the #root element');
createRoot(root).render(
  <StrictMode>
    <BenchPage />
  </StrictMode>,
);
