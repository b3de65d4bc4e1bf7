import { dirname } from 'node:path';
import { OPENAPI_PATH } from '@keyward/service-runtime';

/** Where the docs page lives on the edge; its assets are under it. */
export const DOCS_PATH = '/docs';

/**
 * The directory of the swagger-ui-dist package, resolved from @nestjs/swagger (whose dependency it
 * is), so it is found whether or not npm hoisted it to the top of node_modules.
 */
export function swaggerUiDistDir(): string {
  return dirname(require.resolve('swagger-ui-dist/package.json', { paths: [dirname(require.resolve('@nestjs/swagger'))] }));
}

/** The files of swagger-ui-dist the page loads; nothing else of the package is served. */
export const SWAGGER_UI_ASSETS: ReadonlySet<string> = new Set([
  'swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-16x16.png', 'favicon-32x32.png',
]);

/**
 * The page: Swagger UI reading the edge's merged /openapi.json. Asset URLs are absolute, so the
 * page works at /docs and at /docs/ alike; the start-up script is a file of its own (docs-init.js)
 * so a strict Content-Security-Policy without inline scripts can be used.
 */
export function swaggerUiHtml(): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Keyward API reference</title>
  <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png" sizes="32x32">
  <style>body { margin: 0; }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${DOCS_PATH}/docs-init.js"></script>
</body>
</html>
`;
}

/** Starts Swagger UI on the document; the keys a reader enters stay in the page (not persisted). */
export function swaggerUiInitJs(): string {
  const options = {
    url: OPENAPI_PATH,
    dom_id: '#swagger-ui',
    deepLinking: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    displayOperationId: false,
    displayRequestDuration: true,
    filter: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
  };
  return `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle(Object.assign(${JSON.stringify(options)}, { presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout' }));
});
`;
}
