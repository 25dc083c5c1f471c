// Browser entry point: mounts the lab. All state lives in the zustand store (src/ui/store); the run
// controller, URL-hash sync and IndexedDB restore start from App's effects.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import './ui/styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html is missing the #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
