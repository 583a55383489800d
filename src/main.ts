import { mount } from 'svelte';
import App from './ui/App.svelte';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target });

// A production build works offline after one visit (workers/service-worker.ts). The dev
// server has no service worker, so code changes always show.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register('./sw.js').catch((error: unknown) => {
    console.warn('skelex: offline use is not available:', error);
  });
}
