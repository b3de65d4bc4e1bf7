/**
 * The platform operator token of every service a test harness starts (OPERATOR_TOKENS), and what
 * the operator helpers send. Fixed, so a process started by one harness accepts the helpers of any.
 */
export const TEST_OPERATOR_TOKEN = 'test-operator-token-0123456789abcdefghij';
