// placeholder
namespace simdnet {}
