import { fireEvent } from "expo-router/testing-library";

import { signedOut } from "@/features/session/sessionSlice";
import { fakeApi } from "@/testing/fakeApi";
import { renderApp } from "@/testing/renderApp";

const EMAIL = "forgot@example.com";
const NEW_PASSWORD = "Brand-New-Passw0rd!";

async function signInScreen() {
  const { screen, store } = await renderApp("/sign-in");
  store.dispatch(signedOut());
  return screen;
}

test("forgot password: a code by email, then the code and a new password, then sign in", async () => {
  const api = fakeApi()
    .on("POST", "/v1/auth/password/forgot", { status: 202 })
    .on("POST", "/v1/auth/password/reset", { status: 204 });
  const screen = await signInScreen();
  await fireEvent.changeText(screen.getByLabelText("Email", { exact: true }), EMAIL);
  await fireEvent.press(screen.getByRole("link", { name: "Forgot password?" }));

  expect(await screen.findByLabelText("Email", { exact: true })).toHaveDisplayValue(EMAIL); // carried over
  await fireEvent.press(screen.getByRole("button", { name: "Send code" }));
  expect(await screen.findByText(`If ${EMAIL} has an account, we emailed it a code.`, { exact: false })).toBeTruthy();

  await fireEvent.changeText(screen.getByLabelText("Reset code"), "123456");
  await fireEvent.changeText(screen.getByLabelText("New password"), "short");
  expect(screen.getByRole("button", { name: "Set new password" })).toBeDisabled(); // the rules first
  await fireEvent.changeText(screen.getByLabelText("New password"), NEW_PASSWORD);
  await fireEvent.press(screen.getByRole("button", { name: "Set new password" }));

  expect(await screen.findByRole("button", { name: "Sign in" })).toBeTruthy();
  expect(screen.getByLabelText("Email", { exact: true })).toHaveDisplayValue(EMAIL);
  expect(api.calls.find((c) => c.path === "/v1/auth/password/forgot")?.body).toEqual({ email: EMAIL });
  expect(api.calls.find((c) => c.path === "/v1/auth/password/reset")?.body).toEqual({
    email: EMAIL,
    code: "123456",
    new_password: NEW_PASSWORD,
  });
});

test("a wrong code is said next to the code, and nothing signs the user out", async () => {
  const api = fakeApi()
    .on("POST", "/v1/auth/password/forgot", { status: 202 })
    .on("POST", "/v1/auth/password/reset", {
      status: 401,
      body: { error: { code: "invalid_code", message: "the code is not right" } },
    });
  const screen = await signInScreen();
  await fireEvent.press(screen.getByRole("link", { name: "Forgot password?" }));
  await fireEvent.changeText(await screen.findByLabelText("Email", { exact: true }), EMAIL);
  await fireEvent.press(screen.getByRole("button", { name: "Send code" }));
  await fireEvent.changeText(await screen.findByLabelText("Reset code"), "000000");
  await fireEvent.changeText(screen.getByLabelText("New password"), NEW_PASSWORD);
  await fireEvent.press(screen.getByRole("button", { name: "Set new password" }));

  expect(
    await screen.findByLabelText("Reset code: That code is not right. Check your authenticator or email and try again."),
  ).toBeTruthy();
  expect(api.calls.some((c) => c.path === "/v1/auth/refresh")).toBe(false); // a 401 here is the code's
});
