// esbuild bundles imported CSS into the stylesheet beside the script.
declare module '*.css';
