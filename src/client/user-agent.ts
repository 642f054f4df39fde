import { VERSION } from "../version.js";

/** The `User-Agent` kvcdn sends to the API: `kvcdn/<version> node/<version>`. */
export const USER_AGENT = `kvcdn/${VERSION} node/${process.versions.node}`;
