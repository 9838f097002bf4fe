import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { NodeProvider } from './node';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <NodeProvider>
      <App />
    </NodeProvider>
  </StrictMode>,
);
