/**
 * The preload entry: runs sandboxed, with context isolation, before the page. It only wires
 * Electron's objects into exposeInterviewLmApi; the logic lives there, where tests reach it.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { exposeInterviewLmApi } from './exposeApi';

exposeInterviewLmApi(contextBridge, ipcRenderer);
