// Fast Refresh's preamble, imported rather than inlined: the CSP forbids inline scripts,
// so the one Vite injects into index.html in development is refused. Empty in a build.
import '@vitejs/plugin-react/preamble';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createInterviewLmClient } from './interviewLmClient';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
const bridge = window.interviewlm;

root.render(
  <StrictMode>
    {bridge ? (
      <App client={createInterviewLmClient(bridge)} />
    ) : (
      <main className="app">
        <p className="error">This page runs inside the InterviewLM app: its preload API is missing.</p>
      </main>
    )}
  </StrictMode>,
);
