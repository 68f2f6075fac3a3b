// ESLint over our own browser scripts (static/js). The vendored libraries (static/vendor, built by
// `make assets`) and node_modules are not ours to lint. `make lint` runs it.
import js from "@eslint/js";
import globals from "globals";

// The scripts loaded with <script type="module"> (they import one another or the vendored modules).
const MODULES = [
  "static/js/checkin-logout.js",
  "static/js/checkin-offline.js",
  "static/js/checkin-scanner.js",
  "static/js/checkin-setup.js",
];

export default [
  { ignores: ["static/vendor/**", "node_modules/**", ".venv/**", "instance/**"] },
  js.configs.recommended,
  {
    files: ["static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: { ...globals.browser },
    },
    rules: {
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-var": "error",
      "prefer-const": "error",
    },
  },
  { files: MODULES, languageOptions: { sourceType: "module" } },
  {
    files: ["eslint.config.mjs", "scripts/**/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
];
