import type { OpenAPIObject } from '@nestjs/swagger';
import type { RouteSpec } from '@keyward/contracts';
import type { ServiceSource } from './merge-openapi';
import { mergeOpenApi } from './merge-openapi';

const AT = new Date('2026-11-27T00:00:00.000Z');

function doc(paths: OpenAPIObject['paths'], schemas: Record<string, object> = {}): OpenAPIObject {
  return { openapi: '3.0.0', info: { title: 't', version: '1' }, paths, components: { schemas } };
}

const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/v1/keys', service: 'keys', permission: 'keys:read', summary: 'List keys' },
  { method: 'POST', path: '/v1/sessions', service: 'sessions', permission: 'sessions:create', summary: 'Create a new session' },
  { method: 'GET', path: '/v1/sessions/:sessionId', service: 'sessions', permission: 'sessions:read', summary: 'Get a session' },
];

const keysDoc = doc({
  '/v1/keys': { get: { operationId: 'ListController_list', summary: 'List keys', responses: { 200: { description: 'OK' } }, requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/ReasonDto' } } } } } },
}, { ReasonDto: { type: 'object', properties: { reason: { type: 'string' } } } });

describe('merging the services\' documents', () => {
  it('takes every service\'s operations under one title, server and pair of key schemes', () => {
    const sessionsDoc = doc({ '/v1/sessions': { post: { operationId: 'CreateController_create', responses: { 201: { description: 'Created' } } } } });
    const merged = mergeOpenApi([
      { service: 'keys', state: 'live', document: keysDoc, fetchedAt: AT },
      { service: 'sessions', state: 'live', document: sessionsDoc, fetchedAt: AT },
    ], ROUTES);
    expect(merged.info.title).toBe('Keyward API');
    expect(merged.servers).toEqual([{ url: '/' }]);
    expect(Object.keys(merged.paths)).toEqual(['/v1/keys', '/v1/sessions']);
    expect(Object.keys(merged.components?.securitySchemes ?? {})).toEqual(['publicKey', 'privateKey']);
    expect(merged['x-keyward-sources']).toEqual({ keys: { state: 'live', fetchedAt: AT.toISOString() }, sessions: { state: 'live', fetchedAt: AT.toISOString() } });
    expect(merged.info.description).not.toContain('Incomplete');
  });

  it('adds the edge\'s own answers, 502 upstream_unavailable and 504 upstream_timeout, to every operation', () => {
    const merged = mergeOpenApi([{ service: 'keys', state: 'live', document: keysDoc, fetchedAt: AT }], ROUTES);
    expect(merged.paths['/v1/keys']?.get?.responses).toMatchObject({
      200: { description: 'OK' }, 502: { $ref: '#/components/responses/BadGateway' }, 504: { $ref: '#/components/responses/GatewayTimeout' },
    });
    expect(JSON.stringify(merged.components?.responses?.['BadGateway'])).toContain('upstream_unavailable');
  });

  it('shares a schema two services define alike, and renames one that a second service defines differently', () => {
    const ticketsDoc = doc({
      '/v1/tickets': { post: { operationId: 'T_create', responses: {}, requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/ReasonDto' } } } } } },
    }, { ReasonDto: { type: 'object', properties: { reason: { type: 'string', maxLength: 5 } } } });
    const merged = mergeOpenApi([
      { service: 'keys', state: 'live', document: keysDoc, fetchedAt: AT },
      { service: 'tickets', state: 'live', document: ticketsDoc, fetchedAt: AT },
    ], ROUTES);
    expect(merged.components?.schemas?.['ReasonDto']).toEqual({ type: 'object', properties: { reason: { type: 'string' } } });
    expect(merged.components?.schemas?.['TicketsReasonDto']).toEqual({ type: 'object', properties: { reason: { type: 'string', maxLength: 5 } } });
    expect(JSON.stringify(merged.paths['/v1/tickets'])).toContain('#/components/schemas/TicketsReasonDto');
    expect(JSON.stringify(merged.paths['/v1/keys'])).toContain('#/components/schemas/ReasonDto"');
  });

  it('documents a service it never reached from the route table, and says so', () => {
    const merged = mergeOpenApi([
      { service: 'keys', state: 'live', document: keysDoc, fetchedAt: AT },
      { service: 'sessions', state: 'unavailable', error: 'sessions could not be reached (ECONNREFUSED)' },
    ], ROUTES);
    expect(merged.paths['/v1/sessions']?.post).toMatchObject({ summary: 'Create a new session', 'x-permission': 'sessions:create', security: [{ publicKey: [] }, { privateKey: [] }] });
    expect(merged.paths['/v1/sessions/{sessionId}']?.get).toMatchObject({ summary: 'Get a session', security: [{ privateKey: [] }] });
    expect(merged['x-keyward-sources'].sessions).toEqual({ state: 'unavailable', error: 'sessions could not be reached (ECONNREFUSED)' });
    expect(merged.info.description).toContain('**sessions**: its description was unavailable');
  });

  it('uses a last good copy of a service that stopped answering, and says since when', () => {
    const sources: ServiceSource[] = [{ service: 'keys', state: 'stale', document: keysDoc, fetchedAt: AT, error: 'keys answered 500' }];
    const merged = mergeOpenApi(sources, ROUTES);
    expect(Object.keys(merged.paths)).toEqual(['/v1/keys']);
    expect(merged['x-keyward-sources'].keys).toEqual({ state: 'stale', fetchedAt: AT.toISOString(), error: 'keys answered 500' });
    expect(merged.info.description).toContain(`of ${AT.toISOString()}`);
  });

  it('leaves out non-public paths, a second copy of an operation, and keeps operationIds unique', () => {
    const other = doc({
      '/v1/keys': { get: { operationId: 'Other_list', responses: {} } },
      '/v1/devices': { get: { operationId: 'ListController_list', responses: {} } },
      '/health': { get: { operationId: 'Health_health', responses: {} } },
    });
    const merged = mergeOpenApi([
      { service: 'keys', state: 'live', document: keysDoc, fetchedAt: AT },
      { service: 'devices', state: 'live', document: other, fetchedAt: AT },
    ], ROUTES);
    expect(Object.keys(merged.paths)).toEqual(['/v1/keys', '/v1/devices']);
    expect(merged.paths['/v1/keys']?.get?.operationId).toBe('ListController_list');
    expect(merged.paths['/v1/devices']?.get?.operationId).toBe('devices_ListController_list');
    expect(merged['x-keyward-conflicts']).toEqual(['GET /v1/keys is documented by more than one service; devices\'s copy is left out']);
  });
});
