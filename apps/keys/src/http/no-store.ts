import { Header } from '@nestjs/common';

/** Responses that carry a secret must not be cached anywhere on the way. */
export const NoStore = (): MethodDecorator => Header('Cache-Control', 'no-store');
