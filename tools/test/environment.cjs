// Jest's Node environment plus one flag: whether a test or a hook of this spec file has failed.
// libs/testing's startServiceProcess reads it when a service it started is stopped, and then
// prints the tail of what the service printed: a failure in CI (an e2e that timed out waiting for
// a ticket to close) is otherwise left without the services' side of the story.
const { TestEnvironment } = require('jest-environment-node');

class KeywardTestEnvironment extends TestEnvironment {
  handleTestEvent(event) {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') this.global.__keywardTestFailed = true;
  }
}

module.exports = KeywardTestEnvironment;
