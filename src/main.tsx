// Browser entry point: mounts the React lab shell.
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
