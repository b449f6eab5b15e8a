// `npx expo prebuild` works and carries what app.json promises: run offline in a scratch copy of the
// app (prebuild writes android/ and ios/ beside the sources), then read the generated native projects
// for the bundle ids, the Android biometric permission and the Face ID usage text.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const app = new URL("..", import.meta.url).pathname;
const config = JSON.parse(readFileSync(join(app, "app.json"), "utf8")).expo;
const scratch = mkdtempSync(join(tmpdir(), "nija-prebuild-"));
try {
  for (const name of ["app.json", "package.json", "package-lock.json", "tsconfig.json", "assets", "src"]) {
    cpSync(join(app, name), join(scratch, name), { recursive: true });
  }
  symlinkSync(join(app, "node_modules"), join(scratch, "node_modules"));
  execFileSync("npx", ["expo", "prebuild", "--no-install", "--platform", "all"], {
    cwd: scratch,
    env: { ...process.env, EXPO_OFFLINE: "1", CI: "1" },
    stdio: "pipe",
  });
  const expect = (file, text) => {
    if (!readFileSync(join(scratch, file), "utf8").includes(text)) throw new Error(`${file} lacks ${text}`);
  };
  expect("android/app/build.gradle", `applicationId '${config.android.package}'`);
  expect("android/app/src/main/AndroidManifest.xml", "android.permission.USE_BIOMETRIC");
  expect("ios/NIJA/Info.plist", config.ios.infoPlist.NSFaceIDUsageDescription);
  expect("ios/NIJA.xcodeproj/project.pbxproj", `PRODUCT_BUNDLE_IDENTIFIER = "${config.ios.bundleIdentifier}"`);
  console.log("expo prebuild: android and ios projects carry the bundle ids, biometric permission and Face ID text");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
