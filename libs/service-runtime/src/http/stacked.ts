/** A decorator of a DTO's field (class-validator's, class-validator-jsonschema's `JSONSchema`). */
export type FieldDecorator = (target: object, propertyName: string) => void;

/**
 * Field decorators composed into one, written and applied as if they stood one above the other
 * on the field (a stack is applied bottom up): a field's decorators moved into a composed one keep
 * its validation messages and its schema as they were.
 */
export function stacked(...decorators: readonly FieldDecorator[]): FieldDecorator {
  const bottomUp = [...decorators].reverse();
  return (target, propertyName) => {
    for (const decorate of bottomUp) decorate(target, propertyName);
  };
}
