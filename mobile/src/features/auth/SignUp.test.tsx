import { fireEvent } from "expo-router/testing-library";

import { signedOut } from "@/features/session/sessionSlice";
import { fakeApi } from "@/testing/fakeApi";
import { renderApp } from "@/testing/renderApp";

async function signUpScreen() {
  const { screen, store } = await renderApp("/sign-up");
  store.dispatch(signedOut());
  return screen;
}

test("the password rules are shown while typing, and the button waits for all of them", async () => {
  fakeApi();
  const screen = await signUpScreen();
  await fireEvent.changeText(screen.getByLabelText("Email"), "new@example.com");
  await fireEvent.changeText(screen.getByLabelText("Password"), "short");
  expect(screen.getByLabelText("At least 12 characters: not met")).toBeTruthy();
  expect(screen.getByLabelText("A lowercase letter: met")).toBeTruthy();
  expect(screen.getByRole("button", { name: "Create account" })).toBeDisabled();

  await fireEvent.changeText(screen.getByLabelText("Password"), "Long-Enough-Passw0rd!");
  expect(screen.getByLabelText("At least 12 characters: met")).toBeTruthy();
  expect(screen.getByLabelText("A symbol: met")).toBeTruthy();
  expect(screen.getByRole("button", { name: "Create account" })).toBeEnabled();
});

test("a taken email is said next to the email, a weak password next to the password", async () => {
  fakeApi()
    .on("POST", "/v1/auth/signup", {
      status: 409,
      body: { error: { code: "email_taken", message: "an account with this email already exists" } },
    })
    .on("POST", "/v1/auth/signup", {
      status: 422,
      body: { error: { code: "weak_password", message: "Password did not conform with policy", field: "password" } },
    });
  const screen = await signUpScreen();
  await fireEvent.changeText(screen.getByLabelText("Email"), "taken@example.com");
  await fireEvent.changeText(screen.getByLabelText("Password"), "Long-Enough-Passw0rd!");
  await fireEvent.press(screen.getByRole("button", { name: "Create account" }));
  expect(await screen.findByLabelText("Email: An account with this email already exists.")).toBeTruthy();

  await fireEvent.press(screen.getByRole("button", { name: "Create account" }));
  expect(await screen.findByLabelText("Password: This password does not meet the rules below.")).toBeTruthy();
});

test("a new account not yet confirmed goes on to the code, then to sign in", async () => {
  const api = fakeApi()
    .on("POST", "/v1/auth/signup", { status: 201, body: { user_id: "u-9", confirmed: false } })
    .on("POST", "/v1/auth/confirm", { status: 204 });
  const screen = await signUpScreen();
  await fireEvent.changeText(screen.getByLabelText("Email"), "new@example.com");
  await fireEvent.changeText(screen.getByLabelText("Password"), "Long-Enough-Passw0rd!");
  await fireEvent.press(screen.getByRole("button", { name: "Create account" }));

  await fireEvent.changeText(await screen.findByLabelText("Confirmation code"), "123456");
  await fireEvent.press(screen.getByRole("button", { name: "Confirm" }));
  expect(await screen.findByRole("button", { name: "Sign in" })).toBeTruthy();
  expect(screen.getByLabelText("Email", { exact: true })).toHaveDisplayValue("new@example.com");
  expect(api.calls.map((c) => c.path)).toEqual(["/v1/auth/signup", "/v1/auth/confirm"]);
  expect(api.calls[1]?.body).toEqual({ email: "new@example.com", code: "123456" });
});
