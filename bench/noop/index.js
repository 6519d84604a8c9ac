// A constant 2-byte response: the least a worker can do for a request.
export default {
  fetch() {
    return new Response("ok");
  },
};
