import { Controller, Get, NotFoundException, Param, StreamableFile } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { browserModule, CONTENT_TYPES, publicFile, vendorFile } from './web-assets.js';

/** Serves the demo page, its stylesheet, the browser modules and Autobahn|JS's browser build (nothing else). */
@Controller()
export class PageController {
  @Get()
  page(): StreamableFile {
    return send(publicFile('index.html'));
  }

  @Get('page/:file')
  asset(@Param('file') file: string): StreamableFile {
    return send(publicFile(file));
  }

  @Get('vendor/:file')
  vendor(@Param('file') file: string): StreamableFile {
    return send(vendorFile(file));
  }

  @Get('js/*path')
  script(@Param('path') path: string | string[]): StreamableFile {
    return send(browserModule(Array.isArray(path) ? path.join('/') : path));
  }
}

function send(path: string | undefined): StreamableFile {
  if (!path) throw new NotFoundException();
  return new StreamableFile(createReadStream(path), { type: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' });
}
