import { definedFields } from './defined-fields';

describe('definedFields', () => {
  it('leaves out the undefined fields and keeps every other value as it is, null and falsy ones included', () => {
    const tags = ['a'];
    const out = definedFields({ name: undefined, tags, owner: null, count: 0, flag: false, empty: '' });
    expect(out).toEqual({ tags, owner: null, count: 0, flag: false, empty: '' });
    expect(Object.keys(out)).not.toContain('name');
    expect(out.tags).toBe(tags);
  });

  it('types a possibly undefined field as optional, so it can be given where absent and undefined differ', () => {
    const body: { name?: string | undefined; os: string } = { os: 'linux' };
    const target: { name?: string; os: string } = definedFields({ name: body.name, os: body.os });
    expect(target).toEqual({ os: 'linux' });
  });
});
