/** jest's globalTeardown: stops the server the globalSetup started. */
declare const teardown: () => Promise<void>;
export default teardown;
