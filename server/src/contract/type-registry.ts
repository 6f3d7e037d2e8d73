/**
 * Maps service type names to their implementations. rigd's composition root
 * (`rigd/compose-backend.ts`) registers every type at start; plugins and tests register
 * custom types the same way.
 */
import type { ServiceType } from "./service-type.js";

export class TypeRegistry {
  private readonly types = new Map<string, ServiceType>();

  /** Adds a type; a name may be registered once. */
  register(type: ServiceType): this {
    if (this.types.has(type.name)) throw new Error(`service type "${type.name}" is already registered`);
    this.types.set(type.name, type);
    return this;
  }

  /** The type registered under `name`, if any. */
  get(name: string): ServiceType | undefined {
    return this.types.get(name);
  }

  /** Registered names, sorted, for error messages. */
  names(): string[] {
    return [...this.types.keys()].sort();
  }

  /** Names a user may declare (internal types such as proxy and test left out), in registration order. */
  declarable(): string[] {
    return [...this.types.values()].filter((type) => !type.internal).map((type) => type.name);
  }
}
