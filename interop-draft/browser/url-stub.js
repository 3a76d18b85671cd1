// jszmq's listener (bind, unused in the page) imports Node's `url` for its URL class: in the
// browser that class is built in.
module.exports = { URL: globalThis.URL };
