// Fast Refresh's preamble, imported rather than inlined: the CSP forbids inline scripts,
// so the one Vite injects into index.html in development is refused. Empty in a build.
import '@vitejs/plugin-react/preamble';
// First, so that Monaco starts downloading before the rest of the page's script runs.
import './bundledMonaco';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createIpcClient } from '../../shared/ipc/client';
import { ipcContractNames } from '../../shared/ipc/ipcContractNames';
import { App } from './App';
import { createInterviewLmClient, type InterviewLmClient } from './interviewLmClient';
import { WebSocketTransport, readShellSecret } from './webSocketTransport';
import './styles.css';

/**
 * The page's client over whichever transport hosts it: the Electron preload bridge, or the
 * browser shell's WebSocket (its per-launch secret is in the URL's fragment); null elsewhere.
 */
function connect(): InterviewLmClient | null {
  if (window.interviewlm) return createInterviewLmClient(window.interviewlm);
  if (readShellSecret(location)) return createIpcClient(ipcContractNames, new WebSocketTransport({ WebSocket, location }));
  return null;
}

const root = createRoot(document.getElementById('root')!);
const client = connect();

root.render(
  <StrictMode>
    {client ? (
      <App client={client} />
    ) : (
      <main className="app">
        <p className="error">This page runs inside the InterviewLM app, or from the link the browser shell prints (it carries the connection's secret).</p>
      </main>
    )}
  </StrictMode>,
);
