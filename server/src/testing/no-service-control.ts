/** For fake backends in specs: runtime operations that refuse (StateError) every call. */
import { StateError } from "../contract/errors.js";
import type { ServiceControl } from "../contract/service-control.js";

const refuse = (): never => {
  throw new StateError("this backend runs no services");
};

/** A ServiceControl whose every operation is refused. */
export const noServiceControl: ServiceControl = {
  exec: refuse,
  copyTo: refuse,
  copyFrom: refuse,
  serviceLogs: refuse,
  stopService: refuse,
  restartService: refuse,
};
