// Log in to Anchang and list the staff, from Node.js:
//
//   AMQP_URI=amqp://guest:guest@127.0.0.1:5672/ ANCHANG_USERNAME=admin ANCHANG_PASSWORD=... node list-staff.mjs
//
// Prints one line per member: username, status, roles, staff id (tab-separated). On an error reply,
// prints its type and message (never a stack trace) and exits 1.
import { connect, RemoteError } from "./anchang-rpc.mjs";

const amqpUri = process.env.AMQP_URI ?? "amqp://guest:guest@127.0.0.1:5672/";
const username = process.env.ANCHANG_USERNAME ?? "admin";
const password = process.env.ANCHANG_PASSWORD;
if (!password) {
  console.error("set ANCHANG_PASSWORD (the admin's is in .run/admin-password after `make run`)");
  process.exit(2);
}

const rpc = await connect(amqpUri);
try {
  const session = await rpc.call("staff", "login", { username, password });
  console.error(`logged in as ${username} (${session.roles.join(", ")}); token expires at ${session.expires_at}`);
  const members = await rpc.call("staff", "list_staff", {}, { token: session.token });
  for (const member of members) {
    console.log([member.username, member.status, member.roles.join(","), member.staff_id].join("\t"));
  }
} catch (error) {
  if (!(error instanceof RemoteError)) throw error;
  console.error(`${error.excType}: ${error.value}`);
  process.exitCode = 1;
} finally {
  await rpc.close();
}
