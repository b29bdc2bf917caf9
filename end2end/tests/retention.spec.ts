import { expect } from "@playwright/test";
import { createGroup, newUser, openRoomFromSidebar, test } from "./helpers";

// The job itself (removal, `history_purged`, catch-up) is covered by server/tests/retention.rs
// and the timeline's unit tests; here, the policy as people set and see it.
test("a group's owner sets how long messages are kept; every member sees the policy", async ({ browser }) => {
  const owner = await newUser(browser, "rto", "Rto");
  const member = await newUser(browser, "rtm", "Rtm");
  await createGroup(owner.page, "Keep", [member.username]);
  await openRoomFromSidebar(member.page, "Keep");
  await expect(owner.page.getByTestId("room-retention")).toHaveCount(0);

  await member.page.getByTestId("room-menu").click();
  await expect(member.page.getByTestId("leave-room")).toBeVisible();
  await expect(member.page.getByTestId("room-retention-menu")).toHaveCount(0);
  await member.page.getByTestId("room-menu").click();

  await owner.page.getByTestId("room-menu").click();
  await owner.page.getByTestId("room-retention-menu").click();
  const dialog = owner.page.getByTestId("retention-dialog");
  await expect(dialog.getByTestId("retention-choice")).toHaveValue("server");
  await expect(dialog.getByTestId("retention-choice")).toContainText("The server's policy (forever)");
  await dialog.getByTestId("retention-choice").selectOption("7");
  await dialog.getByTestId("save-retention").click();
  await expect(dialog).toHaveCount(0);
  for (const page of [owner.page, member.page]) {
    await expect(page.getByTestId("room-retention")).toHaveText("Messages are removed after 7 days");
  }

  await owner.page.getByTestId("room-menu").click();
  await owner.page.getByTestId("room-retention-menu").click();
  await expect(dialog.getByTestId("retention-choice")).toHaveValue("7");
  await dialog.getByTestId("retention-choice").selectOption("server");
  await dialog.getByTestId("save-retention").click();
  for (const page of [owner.page, member.page]) {
    await expect(page.getByTestId("room-retention")).toHaveCount(0);
  }
  await owner.context.close();
  await member.context.close();
});
