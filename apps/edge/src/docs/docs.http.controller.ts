import { join } from 'node:path';
import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { PROBLEM_CONTENT_TYPE, ProblemError } from '@keyward/problem';
import { DOCS_PATH, SWAGGER_UI_ASSETS, swaggerUiDistDir, swaggerUiHtml, swaggerUiInitJs } from './swagger-ui-page';

/**
 * GET /docs: the browsable API reference (Swagger UI, served from the swagger-ui-dist package)
 * over the merged document at GET /openapi.json. Public, like the document itself.
 */
@ApiExcludeController()
@Controller(DOCS_PATH.slice(1))
export class DocsController {
  // Resolved on the first asset request: the edge's API must start even if the page's files cannot be found.
  private assetsDir: string | undefined;
  private readonly html = swaggerUiHtml();
  private readonly initJs = swaggerUiInitJs();

  @Get()
  page(@Res() res: Response): void {
    res.status(200).set({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).send(this.html);
  }

  @Get(':asset')
  asset(@Param('asset') asset: string, @Res() res: Response): void {
    if (asset === 'docs-init.js') {
      res.status(200).set({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }).send(this.initJs);
      return;
    }
    if (!SWAGGER_UI_ASSETS.has(asset)) throw new ProblemError(404, 'not_found', 'Not found', `${DOCS_PATH}/${asset} does not exist`);
    try {
      this.assetsDir ??= swaggerUiDistDir();
    } catch (e) {
      throw new ProblemError(503, 'docs_unavailable', 'API reference unavailable', `the swagger-ui-dist package cannot be found (${e instanceof Error ? e.message : String(e)}); /openapi.json still answers`);
    }
    res.sendFile(join(this.assetsDir, asset), { maxAge: '1h' }, (e) => {
      if (e && !res.headersSent) {
        res.status(404).set({ 'content-type': PROBLEM_CONTENT_TYPE }).send(JSON.stringify(
          new ProblemError(404, 'not_found', 'Not found', `${DOCS_PATH}/${asset} is not available`).toProblem(`${DOCS_PATH}/${asset}`)));
      }
    });
  }
}
