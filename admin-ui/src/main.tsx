// Entry of the admin UI bundle (built by src/api/admin/ui-build.ts).
import { render } from 'preact';
import './app.css';
import { App } from './app.js';

render(<App />, document.getElementById('app')!);
